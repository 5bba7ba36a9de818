import { BoundedMap } from '../common/bounded-map.js';

const MAX_KINDS = 200;

/**
 * Writes a message that keeps coming (Redis refusing every reconnect during an outage) once per window and
 * kind, and says on the next line of that kind how many were held back meanwhile: a long outage leaves a few
 * lines, not thousands.
 */
export class ThrottledLog {
  private readonly kinds = new BoundedMap<string, { since: number; heldBack: number }>(MAX_KINDS);

  constructor(
    private readonly write: (message: string) => void,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `kind` groups messages that say the same thing (the error message, without where it came from). */
  log(kind: string, message: string): void {
    const at = this.now();
    const seen = this.kinds.get(kind);
    if (seen && at - seen.since < this.windowMs) {
      seen.heldBack += 1;
      return;
    }
    this.kinds.delete(kind);
    this.kinds.set(kind, { since: at, heldBack: 0 });
    this.write(
      seen && seen.heldBack > 0
        ? `${message} (and ${seen.heldBack} more like it in the last ${Math.round((at - seen.since) / 1000)} s)`
        : message,
    );
  }

  /** Start afresh (the trouble is over): the next message of any kind is written at once. */
  forgetAll(): void {
    this.kinds.clear();
  }
}
