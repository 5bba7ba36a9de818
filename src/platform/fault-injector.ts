/**
 * Crash points for the crash tests: a process started with FAULT_INJECTION=<point> kills itself with SIGKILL
 * when it gets there, exactly as a power cut would. Production runs with none set. `after-delivery[:channel]`
 * strikes after a peer accepted an outbound delivery and before the ledger recorded it as sent.
 */
export type FaultPoint = 'after-commit' | 'in-job' | 'slow-job' | 'after-delivery';

export class FaultInjector {
  private readonly points: ReadonlySet<string>;

  constructor(points: readonly string[]) {
    this.points = new Set(points);
  }

  crashIfArmed(point: FaultPoint, detail?: string): void {
    if (this.armed(point, detail)) process.kill(process.pid, 'SIGKILL');
  }

  /** `slow-job[:type]`: a job takes 1.5 s longer, so a test can stop the process while it runs. */
  async delayIfArmed(point: FaultPoint, detail?: string): Promise<void> {
    if (this.armed(point, detail)) await new Promise((resolve) => setTimeout(resolve, 1500));
  }

  private armed(point: FaultPoint, detail?: string): boolean {
    return this.points.has(point) || (detail !== undefined && this.points.has(`${point}:${detail}`));
  }
}
