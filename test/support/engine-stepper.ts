import { EngineHost, type EngineCommand, type EngineRun } from '../../src/engine/engine-host';
import type { CompiledProcess } from '../../src/engine/process-model';

/**
 * Applies commands to one instance through the engine host as the instance service does: either on a live engine
 * kept between commands (a cache hit on the current revision), or on one rebuilt from the stored state each time.
 * Engine specs run their scenarios both ways, and both must agree.
 */
export class EngineStepper {
  private readonly host = new EngineHost();
  private revision = 0;

  constructor(private readonly live: boolean) {}

  async apply(
    process: CompiledProcess,
    previous: EngineRun | null,
    command: EngineCommand,
  ): Promise<EngineRun> {
    const run = await this.host.run(
      process,
      previous?.state ?? null,
      command,
      new Set(previous?.waits.map((w) => w.executionId) ?? []),
      undefined,
      this.live ? { id: 'instance', revision: this.revision } : undefined,
    );
    this.revision += 1;
    if (this.live) this.host.keep(run, this.revision);
    return run;
  }

  /** Drops the live engines, as a test's teardown must. */
  clear(): void {
    this.host.clearCache();
  }
}
