import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** SQL over the outbox (`outbox`) for those who watch it. */
@Injectable()
export class OutboxRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Age in seconds of the oldest message not yet put on its queue; 0 when none waits. */
  async relayLagSeconds(): Promise<number> {
    const rows: Array<{ lag: number | null }> = await this.dataSource.query(
      `SELECT extract(epoch FROM now() - min(created_at))::float AS lag FROM outbox WHERE relayed_at IS NULL`,
    );
    return rows[0]?.lag ?? 0;
  }
}
