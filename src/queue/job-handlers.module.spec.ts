import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JobHandlerFor } from './job-handler.decorators';
import { JobHandlerRegistry, type JobHandler } from './job-handler.port';
import { JobHandlersModule } from './job-handlers.module';

@Injectable()
@JobHandlerFor()
class ArchiveHandler implements JobHandler {
  readonly jobType = 'archive';
  handle = async () => ({});
}

@Injectable()
@JobHandlerFor()
class OtherArchiveHandler implements JobHandler {
  readonly jobType = 'archive';
  handle = async () => ({});
}

@Injectable()
@JobHandlerFor({ effects: 'database' })
class ReportHandler implements JobHandler {
  readonly jobType = 'report';
  handle = async () => ({});
}

/** A feature's module that provides its handler; the queue does not import it. */
@Module({ providers: [ArchiveHandler] })
class FeatureModule {}

@Module({ providers: [OtherArchiveHandler] })
class SecondFeatureModule {}

describe('JobHandlersModule', () => {
  it('given a feature module that provides a marked handler, when the application boots, then the queue knows its job type beside the extra ones', async () => {
    const extra: JobHandler = { jobType: 'embedder.task', handle: async () => ({}) };
    const app = await Test.createTestingModule({
      imports: [JobHandlersModule.forRoot([extra]), FeatureModule],
    }).compile();
    await app.init();
    const registry = app.get(JobHandlerRegistry);
    expect(registry.jobTypes).toEqual(['archive', 'embedder.task']);
    expect(registry.get('archive')).toBeInstanceOf(ArchiveHandler);
    await app.close();
  });

  it('given handlers marked with their effects, when the application boots, then the queue runs each as marked and the rest as calling peers', async () => {
    @Module({ providers: [ArchiveHandler, ReportHandler] })
    class MarkedFeatureModule {}
    const extra: JobHandler = { jobType: 'embedder.task', effects: 'database', handle: async () => ({}) };
    const app = await Test.createTestingModule({
      imports: [JobHandlersModule.forRoot([extra]), MarkedFeatureModule],
    }).compile();
    await app.init();
    const registry = app.get(JobHandlerRegistry);
    expect(registry.jobTypes.map((type) => `${type}:${registry.effectsOf(type)}`)).toEqual([
      'archive:peers',
      'embedder.task:database',
      'report:database',
    ]);
    await app.close();
  });

  it('given two features that handle one job type, when the application boots, then the boot fails naming the type', async () => {
    const app = await Test.createTestingModule({
      imports: [JobHandlersModule.forRoot(), FeatureModule, SecondFeatureModule],
    }).compile();
    await expect(app.init()).rejects.toThrow('two handlers are registered for job type "archive"');
  });
});
