import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { InstanceService } from '../../src/instances/instance.service';
import { ProcessInstanceEntity } from '../../src/instances/process-instance.entity';
import type { JobHandler } from '../../src/queue/job-handler.port';
import { WorkerModule } from '../../src/worker.module';
import { testEnv } from '../support/test-app';
import { dropTestResources, eventually, newTestResources } from '../support/test-env';

/** The engine fixtures' flaky flow needs this job type to deploy; nothing here starts it. */
const flaky: JobHandler = { jobType: 'test.flaky', handle: async () => ({}) };

/** The worker entry (worker.ts) builds WorkerModule alone: jobs, no HTTP. */
describe('the worker process', () => {
  const resources = newTestResources();
  let worker: INestApplicationContext;

  beforeAll(async () => {
    const config = loadConfig(
      testEnv(resources, { PROCESSES_DIR: join(__dirname, '..', 'engine', 'fixtures') }),
    );
    worker = await NestFactory.createApplicationContext(
      WorkerModule.forRoot(config, { jobHandlers: [flaky] }),
      {
        logger: ['error', 'warn'],
      },
    );
    await worker.init();
  });
  afterAll(async () => {
    await worker?.close();
    await dropTestResources(resources);
  });

  const modules = () => [...worker.get(ModulesContainer).values()];

  it('given the worker module alone, then it holds no controller, no route guard, no queue board and no pages', () => {
    const controllers = modules().flatMap((module) =>
      [...module.controllers.values()].map((wrapper) => wrapper.name),
    );
    const providers = modules().flatMap((module) =>
      [...module.providers.values()].map((wrapper) => wrapper.metatype?.name),
    );
    const moduleNames = modules().map((module) => module.metatype.name);

    expect(controllers).toEqual([]);
    expect(providers).not.toContain('AuthGuard');
    expect(providers).not.toContain('QueueBoard');
    expect(moduleNames).toEqual(expect.arrayContaining(['WorkersModule', 'InstancesModule', 'TasksModule']));
    expect(moduleNames).not.toEqual(expect.arrayContaining(['MonitoringModule']));
    expect(moduleNames).not.toEqual(expect.arrayContaining(['WebModule']));
  });

  it("given a process with one service task, when started through the worker's own services, then its job runs and the instance ends", async () => {
    const instance = await worker.get(InstanceService).start('one-service-task', { note: 'from a worker' });

    const rows = worker.get(DataSource).getRepository(ProcessInstanceEntity);
    const done = await eventually(
      async () => {
        const row = await rows.findOneByOrFail({ id: instance.id });
        return row.status === 'completed' ? row : undefined;
      },
      { what: `instance ${instance.id} to complete in the worker` },
    );
    expect(done.endStatus).toBe('closed');
  });
});
