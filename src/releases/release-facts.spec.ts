import type { EntityManager } from 'typeorm';
import type { JobContext } from '../queue/job-handler.port';
import { FiledReleases } from './filed-releases';
import { requireReleaseNaming } from './release-facts';
import { ReleaseEntity } from './release.entity';

const RELEASE_ID = '0b6c3a52-6f0e-4a5e-9d43-3a8f2d1c9e01';
const INSTANCE_ID = '5d1e7c2a-1b3f-4c6d-8e9f-0a1b2c3d4e5f';

/** The record as stored: its title and source follow its flow's variables; its request is as filed. */
const record = (): ReleaseEntity =>
  Object.assign(new ReleaseEntity(), {
    id: RELEASE_ID,
    number: 'REL-2026-0007',
    releaseClass: 'standard',
    source: 'document',
    title: 'Payroll 4.2',
    instanceId: INSTANCE_ID,
    createdBy: 'alice',
    versionNumber: '4.2.0',
    request: { configurationItems: ['payroll-api', 'payroll-db'] },
  });

const job = (variables: Record<string, unknown>, instanceId = INSTANCE_ID): JobContext => ({
  jobId: 'job-1',
  jobType: 'cmdb.sync',
  instanceId,
  businessKey: RELEASE_ID,
  elementId: 'record-build',
  headers: { action: 'build' },
  variables: { releaseId: RELEASE_ID, ...variables },
  attempt: 1,
});

const FLOW_VARIABLES = { title: 'Payroll 4.2', source: 'document', versionNumber: '4.2.0' };

/** A manager that counts the release reads it answers. */
function database() {
  const reads = { n: 0 };
  const manager = {
    getRepository: () => ({
      findOneBy: async () => {
        reads.n += 1;
        return record();
      },
    }),
  } as unknown as EntityManager;
  return { manager, reads };
}

describe('the facts naming a release to a service task', () => {
  it('given a release this process filed, when a job of its flow carries title, source and version, then its record is not read', async () => {
    const filed = new FiledReleases();
    filed.remember(record());
    const { manager, reads } = database();

    const facts = await requireReleaseNaming(job(FLOW_VARIABLES), manager, filed);

    expect(reads.n).toBe(0);
    expect(facts.release).toEqual({
      id: RELEASE_ID,
      number: 'REL-2026-0007',
      title: 'Payroll 4.2',
      releaseClass: 'standard',
      source: 'document',
    });
    expect(facts.version).toBe('4.2.0');
    expect(facts.configurationItems).toEqual(['payroll-api', 'payroll-db']);
  });

  it('given a release not known here, then its record is read once and its filing kept for the next job', async () => {
    const filed = new FiledReleases();
    const { manager, reads } = database();

    const first = await requireReleaseNaming(job(FLOW_VARIABLES), manager, filed);
    const second = await requireReleaseNaming(job(FLOW_VARIABLES), manager, filed);

    expect(reads.n).toBe(1);
    expect(second.configurationItems).toEqual(first.configurationItems);
    expect(second.release.number).toBe(first.release.number);
  });

  it('given a known release, when the job is of another instance or lacks a followed variable, then the record is read', async () => {
    const filed = new FiledReleases();
    filed.remember(record());
    const { manager, reads } = database();

    await requireReleaseNaming(job(FLOW_VARIABLES, '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a'), manager, filed);
    expect(reads.n).toBe(1);
    const { versionNumber: _unallocated, ...withoutVersion } = FLOW_VARIABLES;
    const facts = await requireReleaseNaming(job({ ...withoutVersion, title: ' ' }), manager, filed);
    expect(reads.n).toBe(2);
    expect(facts.release.title).toBe('Payroll 4.2');
    expect(facts.version).toBe('4.2.0');
  });
});
