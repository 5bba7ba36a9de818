/** The baselines: the same process run in memory, by the project's engine host and by plain bpmn-engine. */
import * as Elements from 'bpmn-elements';
import { Engine } from 'bpmn-engine';
import { BpmnModdle } from 'bpmn-moddle';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import zeebe from 'zeebe-bpmn-moddle/resources/zeebe.json';
import type { EngineHost } from '../src/engine/engine-host.js';
import type { CompiledProcess } from '../src/engine/process-model.js';
import { now, summarize, type Summary } from './stats.js';

export interface RunFigures {
  readonly instances: number;
  readonly wallMs: number;
  readonly perSecond: number;
  readonly latency: Summary;
  readonly cpuMsPerInstance: number;
}

export async function measureSequential(
  count: number,
  warmup: number,
  once: (i: number) => Promise<void>,
): Promise<RunFigures> {
  for (let i = 0; i < warmup; i++) await once(-1 - i);
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < count; i++) {
    const s = now();
    await once(i);
    latencies.push(now() - s);
  }
  const wallMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    instances: count,
    wallMs,
    perSecond: (count / wallMs) * 1000,
    latency: summarize(latencies),
    cpuMsPerInstance: (cpu.user + cpu.system) / 1000 / count,
  };
}

/**
 * The project's own engine host, the commands the durable path applies: start, then complete each service task
 * as its job would, until the instance ends. `live`: the engine of each instance is kept between commands (at the
 * revision each command makes), as the durable path runs it when its live-engine cache hits, so only the start
 * builds one: the engine's share of a durable instance, without storage, queues or HTTP. Otherwise it is rebuilt
 * from the stored state at every command, as on a cache miss.
 */
export function engineHostOnce(host: EngineHost, compiled: CompiledProcess, { live }: { live: boolean }) {
  return async (i: number): Promise<void> => {
    const instance = live ? { id: `bench-${i}`, revision: 0 } : undefined;
    const start = { type: 'start', variables: { bench: true, seq: i } } as const;
    let run = await host.run(compiled, null, start, new Set(), undefined, instance);
    while (!run.finished) {
      if (instance) {
        instance.revision += 1;
        host.keep(run, instance.revision);
      }
      const wait = run.waits[0];
      if (!wait || wait.kind !== 'service-task')
        throw new Error(`expected a service-task wait, got ${JSON.stringify(run.waits)}`);
      run = await host.run(
        compiled,
        run.state,
        { type: 'complete', elementId: wait.elementId, executionId: wait.executionId, variables: {} },
        new Set([wait.executionId]),
        undefined,
        instance,
      );
      if (instance && run.cache !== 'hit')
        throw new Error(`expected the live engine to be used, got ${run.cache}`);
    }
    if (instance) host.forget(instance.id);
  };
}

/** Plain bpmn-engine: default service-task behaviour (dummy service, completes at once), one run, no state. */
export async function plainEngineOnce(xml: string, name: string) {
  const parsed = await new BpmnModdle({ zeebe }).fromXML(xml);
  const sourceContext = serializer(parsed as never, TypeResolver({ ...Elements } as never));
  return async (i: number): Promise<void> => {
    const engine = new Engine({
      name,
      sourceContext,
      settings: { enableDummyService: true },
      variables: { bench: true, seq: i },
    } as never);
    const ended = engine.waitFor('end');
    await engine.execute();
    await ended;
  };
}

/**
 * Shape c's engine share: the standard release flow through the engine host with its engine kept, each user task
 * completed with `answers` (its element's happy-path data) and each service task as its job would, until the
 * instance ends. No storage, no queues, no HTTP, no forms: what the engine alone costs per release.
 */
export function engineHostReleaseOnce(
  host: EngineHost,
  compiled: CompiledProcess,
  startVariables: Readonly<Record<string, unknown>>,
  answers: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
  counted: { userTasks: number },
) {
  return async (i: number): Promise<void> => {
    const instance = { id: `bench-release-${i}`, revision: 0 };
    let run = await host.run(
      compiled,
      null,
      { type: 'start', variables: { ...startVariables, releaseId: instance.id } },
      new Set(),
      undefined,
      instance,
    );
    while (!run.finished) {
      instance.revision += 1;
      host.keep(run, instance.revision);
      const wait = run.waits.find((w) => w.kind === 'user-task' || w.kind === 'service-task');
      if (!wait) throw new Error(`expected a task to wait, got ${JSON.stringify(run.waits)}`);
      const variables = wait.kind === 'user-task' ? answers.get(wait.elementId) : {};
      if (!variables) throw new Error(`no answer for the user task ${wait.elementId}`);
      if (wait.kind === 'user-task' && i >= 0) counted.userTasks += 1;
      run = await host.run(
        compiled,
        run.state,
        { type: 'complete', elementId: wait.elementId, executionId: wait.executionId, variables: { ...variables } },
        new Set(run.waits.map((w) => w.executionId)),
        undefined,
        instance,
      );
      if (run.cache !== 'hit') throw new Error(`expected the live engine to be used, got ${run.cache}`);
    }
    host.forget(instance.id);
  };
}
