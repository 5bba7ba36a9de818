/**
 * Crash points for the crash tests: a process started with FAULT_INJECTION=<point> kills itself with SIGKILL
 * when it gets there, exactly as a power cut would. Production runs with none set.
 */
export type FaultPoint = 'after-commit' | 'in-job';

export class FaultInjector {
  private readonly points: ReadonlySet<string>;

  constructor(points: readonly string[]) {
    this.points = new Set(points);
  }

  crashIfArmed(point: FaultPoint, detail?: string): void {
    if (this.points.has(point) || (detail !== undefined && this.points.has(`${point}:${detail}`))) {
      process.kill(process.pid, 'SIGKILL');
    }
  }
}
