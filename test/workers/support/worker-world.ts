import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefinitionService } from '../../../src/definitions/definition.service';
import { InstanceService } from '../../../src/instances/instance.service';
import {
  ReleaseDriver,
  type Release,
  type ReleaseClass,
  type ReleaseRequest,
} from '../../support/release-driver';
import { startTestApp, type TestApp } from '../../support/test-app';
import { TestHttpPeer, TestSmtpServer } from './peers';

/** Configuration that points every channel and peer of the workers at the test's own servers on loopback. */
export function peerEnv(smtp: TestSmtpServer, http: TestHttpPeer, pslDir: string): Record<string, string> {
  return {
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_FROM: 'Release flow <release-flow@example.test>',
    NOTIFY_WEBHOOK_URL: `${http.url}/generic`,
    NOTIFY_WEBHOOK_SECRET: 'generic-webhook-secret',
    NOTIFY_WECOM_URL: `${http.url}/wecom?key=wecom-robot-key`,
    NOTIFY_DINGTALK_URL: `${http.url}/dingtalk?access_token=dingtalk-token`,
    NOTIFY_DINGTALK_SECRET: 'SECdingtalk-secret',
    NOTIFY_FEISHU_URL: `${http.url}/feishu`,
    NOTIFY_FEISHU_SECRET: 'feishu-secret',
    CMDB_EXTERNAL_URL: `${http.url}/cmdb`,
    CMDB_EXTERNAL_TOKEN: 'external-cmdb-token',
    ROLLBACK_HOOK_URL: `${http.url}/rollback`,
    ROLLBACK_HOOK_TOKEN: 'rollback-hook-token',
    PSL_DIR: pslDir,
    OUTBOUND_TIMEOUT_MS: '3000',
  };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Every file under a directory (relative paths), to see what the library holds. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

export interface FixtureTask {
  readonly id: string;
  readonly type: string;
  readonly headers?: Record<string, string>;
  readonly retries?: number;
}

/** A process of service tasks in a row (start → tasks → end), for running handlers one by one. */
export function serviceTaskProcess(key: string, tasks: readonly FixtureTask[]): string {
  const ids = ['start', ...tasks.map((t) => t.id), 'done'];
  const flows = ids.slice(1).map((to, i) => ({ id: `f${i}`, from: ids[i]!, to }));
  const incoming = (id: string) =>
    flows.filter((f) => f.to === id).map((f) => `<bpmn:incoming>${f.id}</bpmn:incoming>`);
  const outgoing = (id: string) =>
    flows.filter((f) => f.from === id).map((f) => `<bpmn:outgoing>${f.id}</bpmn:outgoing>`);
  const headers = (h: Record<string, string> = {}) =>
    Object.keys(h).length
      ? `<zeebe:taskHeaders>${Object.entries(h)
          .map(([k, v]) => `<zeebe:header key="${k}" value="${v}"/>`)
          .join('')}</zeebe:taskHeaders>`
      : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${key}" name="${key}" isExecutable="true">
    <bpmn:startEvent id="start">${outgoing('start').join('')}</bpmn:startEvent>
    ${tasks
      .map(
        (t) => `<bpmn:serviceTask id="${t.id}" name="${t.id}">
      <bpmn:extensionElements><zeebe:taskDefinition type="${t.type}" retries="${t.retries ?? 3}"/>${headers(t.headers)}</bpmn:extensionElements>
      ${incoming(t.id).join('')}${outgoing(t.id).join('')}
    </bpmn:serviceTask>`,
      )
      .join('\n    ')}
    <bpmn:endEvent id="done">${incoming('done').join('')}
      <bpmn:extensionElements><zeebe:properties><zeebe:property name="releaseStatus" value="closed"/></zeebe:properties></bpmn:extensionElements>
    </bpmn:endEvent>
    ${flows.map((f) => `<bpmn:sequenceFlow id="${f.id}" sourceRef="${f.from}" targetRef="${f.to}"/>`).join('\n    ')}
  </bpmn:process>
</bpmn:definitions>`;
}

/** Deploy a fixture process and start it for a release (its `releaseId` and business key). */
export async function startFixture(
  t: TestApp,
  key: string,
  tasks: readonly FixtureTask[],
  releaseId: string,
  variables: Record<string, unknown> = {},
): Promise<string> {
  await t.get<DefinitionService>(DefinitionService).deploy(serviceTaskProcess(key, tasks), 'test');
  const instance = await t
    .get<InstanceService>(InstanceService)
    .start(key, { releaseId, ...variables }, { businessKey: releaseId });
  return instance.id;
}

/** What the service-task scenarios file: recipients and items the peers expect. */
export const SERVICE_TASK_REQUEST: ReleaseRequest = {
  title: 'Billing service 4.2',
  source: 'software',
  rollbackPlan: 'Redeploy 4.1 from the PSL',
  configurationItems: ['billing-api', 'billing-db'],
  distributionMethods: ['intranet', 'email'],
  distributionScope: 'finance@example.test, user-representative',
};

/** The driver for service-task scenarios: every class files SERVICE_TASK_REQUEST under what a scenario names. */
export function driverFor(t: TestApp): ReleaseDriver {
  return ReleaseDriver.forApp(t, {
    defaults: {
      standard: SERVICE_TASK_REQUEST,
      emergency: SERVICE_TASK_REQUEST,
      major: SERVICE_TASK_REQUEST,
    },
  });
}

/** File a release as the applicant. */
export async function fileRelease(
  t: TestApp,
  request: ReleaseRequest = {},
  releaseClass: ReleaseClass = 'standard',
): Promise<Release> {
  return driverFor(t).file(releaseClass, request);
}

/** Wait for the release's open task of an element, then complete it as its first candidate group. */
export async function step(
  t: TestApp,
  releaseId: string,
  elementId: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await driverFor(t).step(releaseId, elementId, data);
}

export interface PeerWorld {
  readonly smtp: TestSmtpServer;
  readonly http: TestHttpPeer;
  /** The app wired to the peers; set once the suite's beforeAll has run. */
  t: TestApp;
}

/**
 * Registers the suite's beforeAll/afterAll: a real SMTP server and HTTP peer on loopback, a product-library
 * folder, and the app configured for them; all stopped and removed after.
 */
export function usePeers(label: string, env: Record<string, string> = {}): PeerWorld {
  const world = { smtp: new TestSmtpServer(), http: new TestHttpPeer() } as PeerWorld;
  let pslDir = '';
  beforeAll(async () => {
    await Promise.all([world.smtp.start(), world.http.start()]);
    pslDir = await tempDir(`psl-${label}`);
    world.t = await startTestApp({ ...peerEnv(world.smtp, world.http, pslDir), ...env });
  });
  afterAll(async () => {
    await world.t?.close();
    await Promise.all([world.smtp.stop(), world.http.stop()]);
    if (pslDir) await removeDir(pslDir);
  });
  return world;
}
