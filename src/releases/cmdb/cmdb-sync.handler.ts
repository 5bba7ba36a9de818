import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { itemTypeOf, parseCiSpecs } from './ci-spec.js';
import { CmdbService } from './cmdb.service.js';
import { PslService } from '../psl/psl.service.js';
import type { JobContext, JobHandler, JobResult } from '../../queue/job-handler.port.js';
import { ExternalCmdbPusher } from './external-cmdb.js';
import { JobHandlerFor } from '../../queue/job-handler.decorators.js';
import { FiledReleases } from '../filed-releases.js';
import { requireReleaseNaming } from '../release-facts.js';

const ACTIONS = ['build', 'install'] as const;

/**
 * cmdb.sync (header `action`): `build` records the build of the release's configuration items (package,
 * how to repeat it, the archived files' checksums) and keeps their baseline; `install` moves them to their
 * new versions. Each change is pushed to the external CMDB when one is configured.
 */
@Injectable()
@JobHandlerFor()
export class CmdbSyncJobHandler implements JobHandler {
  readonly jobType = 'cmdb.sync';

  constructor(
    @Inject(CmdbService) private readonly cmdb: CmdbService,
    @Inject(PslService) private readonly psl: PslService,
    @Inject(ExternalCmdbPusher) private readonly external: ExternalCmdbPusher,
    @Inject(FiledReleases) private readonly filed: FiledReleases,
  ) {}

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    const action = (context.headers.action ?? 'install') as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action)) {
      throw new UnrecoverableError(`cmdb.sync: unknown action "${action}" (build or install)`);
    }
    const facts = await requireReleaseNaming(context, manager, this.filed);
    const items = parseCiSpecs(facts.configurationItems);
    if (items.length === 0) {
      return {
        outcome: {
          action,
          version: facts.version,
          items: [],
          note: 'the release names no configuration items',
        },
      };
    }
    const v = facts.variables;
    const write = {
      jobId: context.jobId,
      releaseId: facts.release.id,
      version: facts.version,
      items,
      newItemType: itemTypeOf(facts.release.source),
      details:
        action === 'build'
          ? {
              packageName: typeof v.packageName === 'string' ? v.packageName : null,
              buildProcedure: typeof v.buildProcedure === 'string' ? v.buildProcedure.slice(0, 4000) : null,
              artifacts: (await this.psl.artifactsOf(manager, facts.release.id))
                .filter((a) => a.status === 'archived')
                .map((a) => ({ name: a.name, sha256: a.sha256 })),
            }
          : {},
    };
    const changes =
      action === 'build'
        ? await this.cmdb.recordBuild(manager, write)
        : await this.cmdb.install(manager, write);
    const externalCmdb = await this.external.push(manager, context, facts, action, changes);
    return {
      outcome: {
        action,
        version: facts.version,
        items: changes.map((c) => ({ name: c.name, from: c.previousVersion, to: c.version })),
        externalCmdb,
      },
    };
  }
}
