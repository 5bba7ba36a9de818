/**
 * The inbox at size: 100,000 open tasks across 10,000 releases, seeded with SQL in the bench's own database in
 * the shape the service writes them, then `GET /api/tasks` timed the way people call it, without and with the
 * inbox indexes (their migrations' down, then up), with EXPLAIN ANALYZE of the statements the service ran.
 */
import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { InboxIndexes1795720000000 } from '../src/platform/database/migrations/1795720000000-InboxIndexes.js';
import { OpenOfferedTasksByGroup1795960000000 } from '../src/platform/database/migrations/1795960000000-OpenOfferedTasksByGroup.js';
import type { Tokens } from '../test/support/users.js';
import { captureStatements } from './instrument.js';
import { now, summarize, type Summary } from './stats.js';

/** The standard flow's person steps, with the group and form the definition gives them. */
const STEPS: ReadonlyArray<readonly [string, string, string, string]> = [
  ['assess-request', 'Assess the request', 'project-manager', 'release-assessment'],
  ['define-strategy', 'Define the release strategy', 'project-manager', 'release-strategy'],
  ['plan-release', 'Plan the release', 'project-manager', 'release-plan'],
  ['allocate-version', 'Allocate the version number', 'network-engineer', 'version-allocation'],
  ['build-package', 'Build the package', 'project-team', 'build-record'],
  ['test-release', 'Test the release', 'test-team', 'test-report'],
  ['authorise-deployment', 'Authorise the deployment', 'project-manager', 'deployment-authorisation'],
  ['install-release', 'Install the release', 'project-team', 'installation-record'],
  ['check-configuration', 'Check the configuration', 'network-engineer', 'configuration-check'],
  ['write-release-report', 'Write the release report', 'project-manager', 'release-report'],
  ['archive-release', 'Archive the release', 'network-engineer', 'archive-record'],
];

/** The inbox requests people make, each as the user who makes it. */
export const INBOX_QUERIES: ReadonlyArray<{ name: string; as: string; query: string }> = [
  { name: 'coordinator: every open task', as: 'project-manager', query: '' },
  { name: 'group member: own groups', as: 'test-team', query: '' },
  {
    name: 'group member: one group, by due date',
    as: 'network-engineer',
    query: '?candidateGroup=network-engineer&sort=dueAt',
  },
];

export interface InboxSizes {
  readonly releases: number;
  readonly tasks: number;
  readonly requests: number;
}

/** Seeds `releases` running standard releases with `tasks` open tasks between them; returns the seed time. */
export async function seedInbox(client: pg.Client, sizes: InboxSizes): Promise<number> {
  const t0 = now();
  const perRelease = Math.ceil(sizes.tasks / sizes.releases);
  if (perRelease > STEPS.length)
    throw new Error(`at most ${STEPS.length} open tasks per release (${sizes.tasks} over ${sizes.releases})`);
  // A real state and request, so rows have the width the service gives them.
  const sample = (
    await client.query<{ engine_state: unknown; variables: unknown; request: unknown }>(
      `SELECT i.engine_state, i.variables, r.request FROM process_instance i JOIN release r ON r.instance_id = i.id
        WHERE i.process_key = 'standard-release' ORDER BY i.started_at DESC LIMIT 1`,
    )
  ).rows[0];
  const definition = (
    await client.query<{ id: string }>(
      `SELECT id FROM process_definition WHERE process_key = 'standard-release' ORDER BY version DESC LIMIT 1`,
    )
  ).rows[0];
  if (!definition) throw new Error('standard-release is not deployed');
  const request = sample?.request ?? {
    title: 'Seeded release',
    source: 'software',
    rollbackPlan: 'reinstall',
  };
  await client.query('BEGIN');
  try {
    await client.query(
      `CREATE TEMP TABLE inbox_seed ON COMMIT DROP AS
         SELECT g AS n, gen_random_uuid() AS instance_id, gen_random_uuid() AS release_id,
                now() - random() * interval '90 days' AS created
           FROM generate_series(1, $1::int) g`,
      [sizes.releases],
    );
    await client.query(
      `INSERT INTO process_instance (id, definition_id, process_key, business_key, status, engine_state, variables,
                                     revision, started_at, updated_at)
       SELECT instance_id, $1, 'standard-release', release_id::text, 'running', $2::jsonb, $3::jsonb, 12, created, created
         FROM inbox_seed`,
      [definition.id, JSON.stringify(sample?.engine_state ?? null), JSON.stringify(sample?.variables ?? {})],
    );
    await client.query(
      `INSERT INTO release (id, number, class, source, title, status, instance_id, request, created_by, created_at, updated_at)
       SELECT release_id, 'SEED-' || lpad(n::text, 7, '0'), 'standard', 'software', 'Seeded release ' || n,
              'in-progress', instance_id, $1::jsonb, 'applicant', created, created
         FROM inbox_seed`,
      [JSON.stringify(request)],
    );
    await client.query(
      `INSERT INTO user_task (id, instance_id, process_key, business_key, element_id, execution_id, name,
                              candidate_groups, form_key, assignee, claimed_at, status, priority, due_at, created_at)
       SELECT gen_random_uuid(), s.instance_id, 'standard-release', s.release_id::text, st.element_id,
              st.element_id || '_' || substr(md5(random()::text), 1, 8), st.name, ARRAY[st.grp], st.form_key,
              CASE WHEN random() < 0.1 THEN st.grp END, NULL, 'open', 50,
              CASE WHEN random() < 0.5 THEN s.created + interval '7 days' END,
              s.created + st.k * interval '1 hour'
         FROM inbox_seed s
         CROSS JOIN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                       WITH ORDINALITY AS u(element_id, name, grp, form_key, k)) st
        WHERE st.k <= $5 AND (s.n - 1) * $5 + st.k <= $6`,
      [
        STEPS.map((s) => s[0]),
        STEPS.map((s) => s[1]),
        STEPS.map((s) => s[2]),
        STEPS.map((s) => s[3]),
        perRelease,
        sizes.tasks,
      ],
    );
    await client.query(
      `UPDATE user_task SET claimed_at = created_at + interval '5 minutes' WHERE assignee IS NOT NULL AND claimed_at IS NULL`,
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  // What autovacuum would have done by the time a real inbox holds this many rows.
  await client.query('VACUUM ANALYZE user_task, release, process_instance');
  return now() - t0;
}

async function timeRequests(
  url: string,
  tokens: Tokens,
  requests: number,
): Promise<Array<{ name: string; latency: Summary; total: number }>> {
  const results = [];
  for (const q of INBOX_QUERIES) {
    const get = async () => {
      const response = await fetch(`${url}/api/tasks${q.query}`, {
        headers: { authorization: `Bearer ${tokens[q.as]}` },
      });
      const body = (await response.json()) as { total?: number };
      if (response.status !== 200) throw new Error(`GET /api/tasks${q.query} as ${q.as}: ${response.status}`);
      return body.total ?? 0;
    };
    let total = 0;
    for (let i = 0; i < 3; i++) total = await get(); // warm-up: plans and caches
    const latencies: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = now();
      await get();
      latencies.push(now() - t0);
    }
    results.push({ name: q.name, latency: summarize(latencies), total });
  }
  return results;
}

async function explain(client: pg.Client, statements: Map<string, unknown[]>): Promise<string[]> {
  const plans: string[] = [];
  for (const [text, values] of statements) {
    const rows = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values))
      .rows;
    plans.push(
      [text.replace(/\s+/g, ' ').slice(0, 300), ...rows.map((r) => `  ${r['QUERY PLAN']}`)].join('\n'),
    );
  }
  return plans;
}

export interface InboxFigures {
  readonly seedMs: number;
  readonly openTasks: number;
  readonly without: Array<{ name: string; latency: Summary; total: number }>;
  readonly withIndex: Array<{ name: string; latency: Summary; total: number }>;
  readonly plansWithout: string[];
  readonly plansWith: string[];
}

/** Times the inbox without the migration's index (down), then with it (up), on the seeded rows. */
export async function measureInbox(
  client: pg.Client,
  url: string,
  tokens: Tokens,
  sizes: InboxSizes,
): Promise<InboxFigures> {
  const seedMs = await seedInbox(client, sizes);
  const openTasks = Number(
    (await client.query<{ n: string }>(`SELECT count(*) AS n FROM user_task WHERE status = 'open'`)).rows[0]
      ?.n,
  );
  // The inbox's own indexes: open tasks by due date, and the unassigned open tasks by group.
  const migrations = [new InboxIndexes1795720000000(), new OpenOfferedTasksByGroup1795960000000()];
  const runner = { query: (sql: string) => client.query(sql) } as unknown as QueryRunner;
  const statements = captureStatements(/FROM "?user_task"?/);

  for (const migration of [...migrations].reverse()) await migration.down(runner);
  await client.query('ANALYZE user_task');
  statements.clear();
  const without = await timeRequests(url, tokens, sizes.requests);
  const plansWithout = await explain(client, statements);

  for (const migration of migrations) await migration.up(runner);
  await client.query('ANALYZE user_task');
  statements.clear();
  const withIndex = await timeRequests(url, tokens, sizes.requests);
  const plansWith = await explain(client, statements);
  return { seedMs, openTasks, without, withIndex, plansWithout, plansWith };
}
