import jwt from 'jsonwebtoken';
import type request from 'supertest';
import { TokenService } from '../../src/auth/token.service';
import type { Role } from '../../src/users/user.entity';
import { UserService } from '../../src/users/user.service';
import { sampleFormData } from '../support/form-samples';
import type { TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { seedUsers, TEST_JWT_SECRET } from '../support/users';
import { TEST_ROLES } from '../support/users';

/**
 * Shared by the inbox specs: extra users, raw requests with any Authorization header, and a walker that takes
 * a release step by step through the inbox as a named user.
 */

/** The eight seeded users, one per role, named after it. */
export const USERS = TEST_ROLES;
export type SeededUser = (typeof TEST_ROLES)[number];

export interface Task {
  id: string;
  instanceId: string;
  processKey: string;
  businessKey: string | null;
  elementId: string;
  name: string | null;
  candidateGroups: string[];
  formKey: string | null;
  assignee: string | null;
  claimedAt: string | null;
  status: string;
  priority: number;
  dueAt: string | null;
  createdAt: string;
  completedBy: string | null;
  output: Record<string, unknown> | null;
}

export interface HistoryEvent {
  id: string;
  type: string;
  elementId: string | null;
  actor: string | null;
  data: Record<string, any> | null;
}

export interface Release {
  id: string;
  number: string;
  releaseClass: string;
  source: string;
  title: string;
  status: string;
  instanceId: string;
  createdBy: string | null;
  createdAt: string;
  closedAt: string | null;
  versionNumber: string | null;
  plannedAt: string | null;
  installedAt: string | null;
  rolledBack: boolean;
}

/** Create users beyond the seeded eight; their tokens join `t.tokens`, so `t.as(name)` works for them. */
export async function addUsers(t: TestApp, extra: Array<{ username: string; roles: Role[] }>): Promise<void> {
  const tokens = await seedUsers(t.get<UserService>(UserService), t.get<TokenService>(TokenService), extra);
  Object.assign(t.tokens, tokens);
}

export async function userId(t: TestApp, username: string): Promise<string> {
  const user = await t.get<UserService>(UserService).findByUsername(username);
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}

/** A token for the user that expired a minute ago, signed with the test secret. */
export function expiredToken(id: string, username: string): string {
  return jwt.sign({ username, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET, {
    subject: id,
    algorithm: 'HS256',
  });
}

/** A token signed with the test secret, for any subject. */
export function signedToken(id: string, username: string): string {
  return jwt.sign({ username }, TEST_JWT_SECRET, { subject: id, expiresIn: 3600, algorithm: 'HS256' });
}

/** A well-formed, unexpired token signed with some other secret. */
export function foreignToken(id: string, username: string): string {
  return jwt.sign({ username }, 'another-secret-that-is-long-enough-for-hs256', {
    subject: id,
    expiresIn: 3600,
    algorithm: 'HS256',
  });
}

export type Method = 'get' | 'post' | 'patch';

/** A request with exactly the Authorization header given (none when undefined). */
export function send(
  t: TestApp,
  method: Method,
  url: string,
  authorization: string | undefined,
  body?: unknown,
): request.Test {
  let req = t.http()[method](url);
  if (authorization !== undefined) req = req.set('Authorization', authorization);
  return body === undefined ? req : req.send(body as object);
}

/** Everything about one task and its instance that a refused request must leave as it was. */
export async function taskSnapshot(t: TestApp, taskId: string) {
  const [task] = await t.dataSource.query(
    `SELECT status, assignee, claimed_at, output, completed_by, instance_id FROM user_task WHERE id = $1`,
    [taskId],
  );
  const [counts] = await t.dataSource.query(
    `SELECT (SELECT count(*) FROM history_event WHERE instance_id = $1)::int AS history,
            (SELECT revision FROM process_instance WHERE id = $1)::int AS revision,
            (SELECT variables FROM process_instance WHERE id = $1) AS variables,
            (SELECT count(*) FROM user_task WHERE instance_id = $1)::int AS tasks`,
    [task.instance_id],
  );
  return { task, ...counts };
}

/** Waits until no service-task job of the instance is pending, so its record holds still. */
export async function settle(t: TestApp, instanceId: string): Promise<void> {
  await eventually(
    async () => {
      const [row] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM job WHERE instance_id = $1 AND kind = 'service-task' AND status = 'pending'`,
        [instanceId],
      );
      return row.n === 0;
    },
    { what: `instance ${instanceId} to settle` },
  );
}

/** Drives releases through the inbox as named users. */
export class Walker {
  constructor(private readonly t: TestApp) {}

  async file(
    releaseClass: 'standard' | 'emergency' | 'major',
    request: Record<string, unknown> = {},
    as = 'applicant',
  ): Promise<Release> {
    const res = await this.t
      .as(as)
      .post('/api/releases')
      .send({
        class: releaseClass,
        request: {
          title: `${releaseClass} release`,
          source: 'software',
          rollbackPlan: 'reinstall the previous version from the PSL',
          ...request,
        },
      });
    if (res.status !== 201) throw new Error(`filing failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Release;
  }

  /** The open task of the release at the element, as the project manager (who sees every task) finds it. */
  async task(releaseId: string, elementId: string): Promise<Task> {
    return eventually(
      async () => {
        const res = await this.t
          .as('project-manager')
          .get('/api/tasks')
          .query({ releaseId, pageSize: 200 })
          .expect(200);
        const found = (res.body.items as Task[]).filter((task) => task.elementId === elementId);
        if (found.length > 1) throw new Error(`${found.length} open ${elementId} tasks`);
        return found[0];
      },
      { what: `task ${elementId} of release ${releaseId}` },
    );
  }

  /** Complete with valid sample data plus `data`, as `as` (default: the user of its first candidate group). */
  async complete(task: Task, data: Record<string, unknown> = {}, as?: string): Promise<Task> {
    const res = await this.t
      .as(as ?? task.candidateGroups[0]!)
      .post(`/api/tasks/${task.id}/complete`)
      .send({ data: sampleFormData(task.formKey, data) });
    if (res.status !== 200)
      throw new Error(`completing ${task.elementId} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Task;
  }

  async step(
    releaseId: string,
    elementId: string,
    data: Record<string, unknown> = {},
    as?: string,
  ): Promise<Task> {
    const task = await this.task(releaseId, elementId);
    await this.complete(task, data, as);
    return task;
  }

  /** A standard release from its assessment up to the task `until` (not completed). */
  async standardTo(
    releaseId: string,
    until: string,
    as: Partial<Record<string, string>> = {},
  ): Promise<Task> {
    const steps: Array<[string, Record<string, unknown>]> = [
      ['assess-request', { assessmentDecision: 'approve' }],
      ['define-strategy', {}],
      ['plan-release', {}],
      ['allocate-version', { versionNumber: '1.0.0' }],
      ['build-package', {}],
      ['test-release', { testResult: 'pass' }],
      ['authorise-deployment', { deploymentDecision: 'approve' }],
      ['install-release', { installResult: 'success' }],
      ['check-configuration', { configurationVerified: true }],
      ['write-release-report', {}],
      ['archive-release', {}],
    ];
    for (const [elementId, data] of steps) {
      if (elementId === until) return this.task(releaseId, elementId);
      await this.step(releaseId, elementId, data, as[elementId]);
    }
    throw new Error(`${until} is not a step of the standard happy path`);
  }

  async release(idOrNumber: string): Promise<Release & Record<string, any>> {
    return (await this.t.as('project-manager').get(`/api/releases/${idOrNumber}`).expect(200)).body;
  }

  async waitForStatus(releaseId: string, status: string): Promise<Release & Record<string, any>> {
    return eventually(
      async () => {
        const release = await this.release(releaseId);
        return release.status === status ? release : undefined;
      },
      { what: `release ${releaseId} to be ${status}` },
    );
  }

  async history(releaseId: string): Promise<HistoryEvent[]> {
    return (await this.t.as('project-manager').get(`/api/releases/${releaseId}/history`).expect(200)).body;
  }
}
