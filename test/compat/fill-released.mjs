// Fills a fresh database with releases waiting at varied points, using a build of the released code.
// Run by make-fixture.sh; usage: node fill-released.mjs <checkout of the released code, built> <database url>
// Environment: REDIS_URL (default redis://127.0.0.1:6379). Plain JavaScript on purpose: it must run against
// any released version's HTTP API without compiling this tree.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { requiredSampleData } from '../support/form-fill.mjs';

const [releasedTree, databaseUrl] = process.argv.slice(2);
if (!releasedTree || !databaseUrl) {
  console.error('usage: node fill-released.mjs <released checkout, built> <database url>');
  process.exit(2);
}
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE_PREFIX = `release-fixture-${randomBytes(4).toString('hex')}`;
const PSL_DIR = mkdtempSync(join(tmpdir(), 'release-fixture-psl-'));

/** The passwords the fixture's users have; the compatibility test signs in with them. */
const ADMIN_PASSWORD = 'fixture-admin-password';
const ROLES = [
  'applicant',
  'project-manager',
  'network-engineer',
  'project-team',
  'test-team',
  'user-representative',
  'process-designer',
];
const passwordOf = (username) => `${username}-fixture-password`;

const db = new pg.Client({ connectionString: databaseUrl });

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function eventually(check, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** The released service as a child process with its settings over the common ones; stop() ends it (SIGTERM). */
/** Services still running: a failed fill stops them, or the released service would outlive the script. */
const running = new Set();

async function startService(env = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [join('dist', 'src', 'main.js')], {
    cwd: releasedTree,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX,
      PORT: String(port),
      ADMIN_PASSWORD,
      JWT_SECRET: 'fixture-secret-that-is-long-enough-for-hs256',
      PSL_DIR,
      JOB_BACKOFF_MS: '50',
      OUTBOX_POLL_MS: '200',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  running.add(child);
  void exited.then(() => running.delete(child));
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/health/ready`)).ok, `the service on ${url}`);
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One HTTP client per service run; tokens by username. */
function client(url) {
  const tokens = {};
  async function call(method, path, body, as) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(as ? { authorization: `Bearer ${tokens[as]}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  async function ok(method, path, body, as) {
    const res = await call(method, path, body, as);
    if (res.status >= 300)
      throw new Error(`${method} ${path} as ${as}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  return {
    call,
    ok,
    async signIn(username) {
      const password = username === 'admin' ? ADMIN_PASSWORD : passwordOf(username);
      tokens[username] = (await ok('POST', '/api/auth/login', { username, password })).accessToken;
    },
  };
}

/** A valid value for a field of a JSON-schema form (67dfd62: `{ required, properties }`). */
function jsonSchemaSampleValue(name, field) {
  if (field.enum) return field.enum[0];
  switch (field.type) {
    case 'boolean':
      return true;
    case 'integer':
      return field.minimum ?? 1;
    case 'array':
      return [];
    default:
      if (field.format === 'date-time') return new Date().toISOString();
      if (field.pattern) return '1.0.0';
      return `${name} (fixture)`;
  }
}

/** A valid value for every required field of a task's form, whichever form format the released API hands out. */
function requiredFormData(form) {
  if (!form) return {};
  if (Array.isArray(form.components)) return requiredSampleData(form);
  const data = {};
  for (const name of form.required ?? []) data[name] = jsonSchemaSampleValue(name, form.properties[name]);
  return data;
}

const REQUEST = {
  standard: {
    source: 'software',
    rollbackPlan: 'Redeploy the previous version from the PSL',
    scope: 'billing cluster',
    configurationItems: ['billing-api', 'billing-db'],
    distributionMethods: ['intranet', 'email'],
    distributionScope: 'finance department',
  },
  emergency: {
    source: 'software',
    scope: 'payment gateway',
    configurationItems: ['payment-gateway'],
    distributionMethods: ['telegram'],
    distributionScope: 'operations',
  },
  major: {
    source: 'software',
    rollbackPlan: 'Switch traffic back to the previous cluster',
    scope: 'all ERP modules',
    configurationItems: ['erp-app', 'erp-db'],
    distributionMethods: ['intranet', 'email', 'paper'],
    distributionScope: 'whole company',
  },
};

/** Drives releases through one service run, as the users of the roles that do each step. */
function driver(api) {
  const forms = new Map();
  async function openTask(releaseId, elementId) {
    return eventually(async () => {
      const page = await api.ok(
        'GET',
        `/api/tasks?releaseId=${releaseId}&pageSize=200`,
        undefined,
        'project-manager',
      );
      return page.items.find((t) => t.elementId === elementId);
    }, `task ${elementId} of release ${releaseId}`);
  }
  async function formData(task, fields) {
    if (!forms.has(task.formKey)) {
      forms.set(
        task.formKey,
        (await api.ok('GET', `/api/tasks/${task.id}`, undefined, 'project-manager')).form,
      );
    }
    return { ...requiredFormData(forms.get(task.formKey)), ...fields };
  }
  return {
    async file(releaseClass, title) {
      return api.ok(
        'POST',
        '/api/releases',
        { class: releaseClass, request: { ...REQUEST[releaseClass], title } },
        'applicant',
      );
    },
    openTask,
    async step(release, elementId, fields = {}) {
      const task = await openTask(release.id, elementId);
      const as = task.assignee ?? task.candidateGroups[0];
      await api.ok('POST', `/api/tasks/${task.id}/complete`, { data: await formData(task, fields) }, as);
    },
    async walk(release, steps) {
      for (const [elementId, fields] of steps) await this.step(release, elementId, fields);
    },
    async claim(release, elementId, as) {
      const task = await openTask(release.id, elementId);
      await api.ok('POST', `/api/tasks/${task.id}/claim`, undefined, as);
    },
    async status(release) {
      return (await api.ok('GET', `/api/releases/${release.id}`, undefined, 'project-manager')).status;
    },
  };
}

/** The stored job of an element, once it satisfies `ready`. */
async function jobOf(release, elementId, ready, what) {
  return eventually(async () => {
    const { rows } = await db.query(
      `SELECT j.status, j.attempts, j.kind FROM job j JOIN release r ON r.instance_id = j.instance_id
        WHERE r.id = $1 AND j.element_id = $2 ORDER BY j.created_at DESC LIMIT 1`,
      [release.id, elementId],
    );
    return rows[0] && ready(rows[0]) ? rows[0] : undefined;
  }, `${what} (${elementId} of ${release.number})`);
}

const STANDARD_PLANNED = [
  ['assess-request', { assessmentDecision: 'approve' }],
  ['define-strategy', {}],
  ['plan-release', {}],
  ['allocate-version', { versionNumber: '4.2.0' }],
];
const STANDARD_BUILT = [
  ['build-package', { packageName: 'billing-4.2.0.tar.gz' }],
  ['test-release', { testResult: 'pass' }],
];
const STANDARD_INSTALLED = [
  ['authorise-deployment', { deploymentDecision: 'approve' }],
  ['install-release', { installResult: 'success' }],
  ['check-configuration', { configurationVerified: true }],
];
const MAJOR_PLANNED = [
  ['assess-request', { assessmentDecision: 'approve' }],
  ['define-strategy', {}],
  ['plan-release', {}],
  ['review-plan', { planApproved: true }],
  ['allocate-version', { versionNumber: '2026.1' }],
];
const MAJOR_BUILT = [
  ['build-package', { packageName: 'erp-2026.1.tar.gz' }],
  ['test-release', { testResult: 'pass' }],
];

async function main() {
  await db.connect();

  // Run 1: users, and most waits, with workers and fast retries.
  let service = await startService();
  let api = client(service.url);
  await api.signIn('admin');
  for (const role of ROLES) {
    await api.ok(
      'POST',
      '/api/users',
      {
        username: role,
        displayName: role,
        email: `${role}@example.test`,
        password: passwordOf(role),
        roles: [role],
      },
      'admin',
    );
  }
  for (const role of ROLES) await api.signIn(role);
  let flow = driver(api);

  const closed = await flow.file('standard', 'standard: closed');
  await flow.walk(closed, [...STANDARD_PLANNED, ...STANDARD_BUILT, ...STANDARD_INSTALLED]);
  await flow.walk(closed, [
    ['write-release-report', {}],
    ['archive-release', {}],
  ]);
  await eventually(async () => (await flow.status(closed)) === 'closed', 'the closed release');

  await flow.file('standard', 'standard: at assess-request');

  const late = await flow.file('standard', 'standard: at archive-release');
  await flow.walk(late, [
    ...STANDARD_PLANNED,
    ...STANDARD_BUILT,
    ...STANDARD_INSTALLED,
    ['write-release-report', {}],
  ]);
  await flow.openTask(late.id, 'archive-release');

  const claimed = await flow.file('standard', 'standard: plan-release claimed');
  await flow.walk(claimed, STANDARD_PLANNED.slice(0, 2));
  await flow.claim(claimed, 'plan-release', 'project-manager');

  const toRollBack = await flow.file('standard', 'standard: rollback job retrying');
  await flow.walk(toRollBack, [...STANDARD_PLANNED, ...STANDARD_BUILT, STANDARD_INSTALLED[0]]);
  await flow.openTask(toRollBack.id, 'install-release');

  const toFail = await flow.file('standard', 'standard: incident at archive-package');
  await flow.walk(toFail, STANDARD_PLANNED);
  await flow.openTask(toFail.id, 'build-package');

  const timer = await flow.file('emergency', 'emergency: at approve-emergency, escalation timer armed');
  await flow.openTask(timer.id, 'approve-emergency');

  const afterTheFact = await flow.file('emergency', 'emergency: after the fact');
  await flow.walk(afterTheFact, [
    ['approve-emergency', { approvalDecision: 'approve' }],
    ['build-package', { packageName: 'gateway-cert.tar.gz' }],
    ['install-release', { installResult: 'success' }],
    ['verify-release', { verificationResult: 'pass' }],
    ['write-documentation', { documentation: 'runbook updated' }],
  ]);
  await flow.openTask(afterTheFact.id, 'complete-test-report');

  const majorEarly = await flow.file('major', 'major: at review-plan');
  await flow.walk(majorEarly, MAJOR_PLANNED.slice(0, 3));
  await flow.openTask(majorEarly.id, 'review-plan');

  const majorClaimed = await flow.file('major', 'major: user-verification claimed');
  await flow.walk(majorClaimed, [...MAJOR_PLANNED, ...MAJOR_BUILT]);
  await flow.claim(majorClaimed, 'user-verification', 'user-representative');

  const majorLate = await flow.file('major', 'major: at write-assessment-report');
  await flow.walk(majorLate, [
    ...MAJOR_PLANNED,
    ...MAJOR_BUILT,
    ['user-verification', { verificationResult: 'pass' }],
    ['authorise-deployment', { deploymentDecision: 'approve' }],
    ['install-release', { installResult: 'success' }],
    ['check-configuration', { configurationVerified: true }],
    ['write-release-report', {}],
  ]);
  await flow.openTask(majorLate.id, 'write-assessment-report');

  const majorPending = await flow.file('major', 'major: archive-package job pending');
  await flow.walk(majorPending, MAJOR_PLANNED);
  await flow.openTask(majorPending.id, 'build-package');
  await service.stop();

  // Run 2: an escalation timer that fires, leaving the approval open after it.
  service = await startService({ ESCALATION_TIMEOUT: 'PT1S' });
  api = client(service.url);
  for (const role of ROLES) await api.signIn(role);
  flow = driver(api);
  const escalated = await flow.file('emergency', 'emergency: escalated, approval open');
  await jobOf(escalated, 'notify-escalation', (j) => j.status === 'completed', 'the escalation notice');
  await flow.openTask(escalated.id, 'approve-emergency');
  await service.stop();

  // Run 3: a package required and none uploaded: psl.archive runs out of attempts, an open incident.
  service = await startService({ PSL_REQUIRE_PACKAGE: 'true' });
  api = client(service.url);
  for (const role of ROLES) await api.signIn(role);
  flow = driver(api);
  await flow.step(toFail, 'build-package', { packageName: 'billing-missing.tar.gz' });
  await jobOf(toFail, 'archive-package', (j) => j.status === 'failed', 'the incident');
  await service.stop();

  // Run 4: the rollback hook is down and retries are an hour apart: the rollback job is mid-retry.
  const downPort = await freePort();
  service = await startService({
    ROLLBACK_HOOK_URL: `http://127.0.0.1:${downPort}/rollback`,
    JOB_BACKOFF_MS: '3600000',
  });
  api = client(service.url);
  for (const role of ROLES) await api.signIn(role);
  flow = driver(api);
  await flow.step(toRollBack, 'install-release', {
    installResult: 'failure',
    failureReason: 'smoke test failed',
  });
  await jobOf(
    toRollBack,
    'rollback-release',
    (j) => j.status === 'pending' && j.attempts >= 1,
    'a failed attempt',
  );
  await service.stop();

  // Run 5: no workers: the jobs these steps start stay pending (on their queue, never run).
  service = await startService({ RUN_WORKERS: 'false' });
  api = client(service.url);
  for (const role of ROLES) await api.signIn(role);
  flow = driver(api);
  await flow.step(majorPending, 'build-package', { packageName: 'erp-2026.1.tar.gz' });
  await jobOf(majorPending, 'archive-package', (j) => j.status === 'pending', 'the pending archive job');
  const notifyPending = await flow.file('emergency', 'emergency: approval notice pending');
  await jobOf(notifyPending, 'notify-approval-needed', (j) => j.status === 'pending', 'the pending notice');
  await service.stop();

  await db.end();
  await dropQueues();
  rmSync(PSL_DIR, { recursive: true, force: true });
}

/** The fixture keeps PostgreSQL only: the runs' queues go. */
async function dropQueues() {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${QUEUE_PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

main().catch(async (err) => {
  console.error(err);
  for (const child of running) child.kill('SIGKILL');
  await db.end().catch(() => undefined);
  process.exit(1);
});
