import { Inject, Injectable } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository.js';

/**
 * Marks outbox messages done with (on their queue, or run in this process) in one UPDATE with those of the other
 * commits meanwhile: one statement at a time, the next taking everything that arrived while the last ran. A message
 * whose mark is lost (a crash, a failed UPDATE) is relayed again by the sweep, which adds nothing twice (the message
 * id is the queue job id) and whose delivery finds its job done.
 */
@Injectable()
export class RelayedMarks {
  private next: { readonly ids: string[]; readonly done: Promise<void> } | null = null;
  private marking: Promise<void> = Promise.resolve();

  constructor(@Inject(OutboxRepository) private readonly outbox: OutboxRepository) {}

  mark(ids: readonly string[]): Promise<void> {
    if (!this.next) {
      const batch: string[] = [];
      const done = this.marking
        .catch(() => undefined)
        .then(() => {
          this.next = null;
          return this.outbox.markRelayed(batch);
        });
      this.marking = done;
      this.next = { ids: batch, done };
    }
    this.next.ids.push(...ids);
    return this.next.done;
  }
}
