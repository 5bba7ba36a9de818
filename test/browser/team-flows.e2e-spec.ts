import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { fieldsOf, sampleFormData, type FormJsSchema } from '../support/form-samples';
import { ReleaseDriver, type Release, type Task } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { TEST_USER_PASSWORD } from '../support/users';
import { artifactPath, CHROMIUM, CHROMIUM_ARGS, ensureWebBuilt, requireChromium } from './browser-support';

/**
 * The procedure worked from the pages alone, in headless Chromium: a designer changes a form in the modeler's
 * form editor (whose properties panel works under the modeler's Content-Security-Policy) and the next task of
 * that form shows it; a rule only the server checks is shown at its field; an applicant files a standard release
 * on the releases page and each role does its step in the task list until it closes; and every user task of the
 * three flows as deployed opens in the task list with its form. Screenshots go to test-artifacts/.
 */
describe('the three flows worked from the pages in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let driver: ReleaseDriver;
  const problems: string[] = [];
  /** One open page per user, kept for the file: a user coming back clicks on, without signing in again. */
  const pages = new Map<string, { context: BrowserContext; page: Page }>();

  /** The user's page, signed in on first use (the earlier users' pages stay open, idle). */
  async function as(username: string): Promise<Page> {
    const open = pages.get(username);
    if (open) return open.page;
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
    await context.route(
      (url) => url.origin !== new URL(base).origin,
      async (route) => {
        problems.push(`request to another origin: ${route.request().url()}`);
        await route.abort();
      },
    );
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error (${username}): ${err.message}`));
    page.on('console', (message) => {
      // A refused completion or filing (400) is part of the scenarios.
      const expected = /Failed to load resource: the server responded with a status of 400/;
      if (message.type() === 'error' && !expected.test(message.text()))
        problems.push(`console (${username}): ${message.text()}`);
    });
    await page.goto(`${base}/login`);
    await page.fill('#username', username);
    await page.fill('#password', TEST_USER_PASSWORD);
    await page.press('#password', 'Enter');
    await page.waitForURL((url) => url.pathname !== '/login');
    pages.set(username, { context, page });
    return page;
  }

  /** Open a task in the user's task list (all open tasks for coordinators, else the user's groups' and own). */
  async function openInList(page: Page, task: Task): Promise<void> {
    if (!page.url().includes('/tasks')) await page.goto(`${base}/tasks`);
    const view = (await page.locator('#view-all').count()) ? '#view-all' : '#view-group';
    await page.click(task.assignee ? '#view-mine' : view);
    await page.click('#refresh');
    await page.locator(`.task-row[data-task-id="${task.id}"] .open-task`).click();
    await page.locator(`#task-title[data-task-id="${task.id}"]`).waitFor();
    await page.locator('#task-form .fjs-form').waitFor();
  }

  beforeAll(async () => {
    requireChromium();
    ensureWebBuilt();
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    driver = new ReleaseDriver(base, t.tokens);
  });

  afterAll(async () => {
    for (const { context } of pages.values()) await context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  it('a designer relabels a field of the build form in the form editor and deploys it; the next build task shows it', async () => {
    // given a standard release waiting for its version number, and one already waiting for its build
    const before = await driver.file('standard', { title: '旧表单的构建' });
    await driver.standardTo(before.id, 'build-package');
    const release = await driver.file('standard', { title: '新表单的构建' });
    const allocate = await driver.standardTo(release.id, 'allocate-version');

    // when the designer opens the build form in the modeler, selects its package field and relabels it
    const page = await as('process-designer');
    await page.waitForURL(`${base}/modeler`);
    await page.click('#show-forms');
    await page.locator('[data-form-id="build-record"] .form-open').click();
    await page.locator('#current-label', { hasText: 'build-record · version 1' }).waitFor();
    await page.locator('#form-editor .fjs-element[data-id="Field_packageName"]').click();
    const label = page.locator('#form-editor [data-entry-id="label"] [contenteditable="true"]');
    await page
      .locator('#form-editor [data-group-id="group-general"] .bio-properties-panel-group-header')
      .click();
    await label.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('发布包文件名 (package file name)');
    await page.locator('#current-label', { hasText: 'edited, not deployed' }).waitFor();
    await page.screenshot({ path: artifactPath('modeler-form-editor.png') });
    // and deploys it
    await page.click('#deploy');
    await page.locator('#status', { hasText: 'deployed form build-record version 2' }).waitFor();
    await page.locator('[data-form-id="build-record"] .form-open', { hasText: 'v2' }).waitFor();
    const deployed = await driver.get('/api/forms/build-record/versions/2', 'process-designer');
    expect(JSON.stringify(deployed.schema)).toContain('发布包文件名 (package file name)');

    // then the release that reaches its build now shows the new label to the team member
    await driver.finish(allocate, { versionNumber: '2.0.0' });
    const build = await driver.task(release.id, 'build-package');
    expect(build.formVersion).toBe(2);
    const member = await as('project-team');
    await openInList(member, build);
    await member.getByLabel('发布包文件名 (package file name)').waitFor();
    await member.screenshot({ path: artifactPath('task-form-new-version.png') });

    // while the build that was already waiting keeps the version it was created with
    const waiting = await driver.task(before.id, 'build-package');
    expect(waiting.formVersion).toBe(1);
    await openInList(member, waiting);
    await member.getByLabel('发布包 (package)').waitFor();
    await expect(member.getByLabel('发布包文件名 (package file name)').count()).resolves.toBe(0);
  }, 180_000);

  it('shows what only the server refuses at its field: an installation time in the future', async () => {
    // given an emergency release waiting for its installation, claimed by a team member
    const release = await driver.file('emergency', { title: '未来的安装时间' });
    const install = await untilOpen(release, 'install-release');
    const page = await as('project-team');
    await openInList(page, install);
    await page.click('#claim');
    await page.locator('#task-assignee', { hasText: 'project-team' }).waitFor();

    // when the member reports a successful installation at a time next year (the form itself lets it through)
    await page.getByLabel('成功 (success)').check();
    const nextYear = new Date(new Date().getFullYear() + 1, 0, 15);
    const date = await page.evaluate((at) => new Date(at).toLocaleDateString(), nextYear.getTime());
    const dateInput = page.getByLabel('安装日期 (installation date)');
    await dateInput.fill(date);
    await dateInput.press('Enter');
    const timeInput = page.getByLabel('安装时间 (installation time)');
    await timeInput.fill('10:00');
    await timeInput.press('Tab');
    await page.click('#complete');

    // then the server's message stands at the installation time, and nothing was completed
    const field = page.locator('.fjs-form-field-datetime');
    await field.locator('.fjs-form-field-error', { hasText: 'must not be after now' }).waitFor();
    await field.scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('task-form-server-error.png') });
    const still = await driver.taskDetail(install.id);
    expect(still.status).toBe('open');
    expect((await driver.release(release.id)).installedAt).toBeNull();
    await expect(page.locator('#form-errors li').count()).resolves.toBe(0);
  }, 120_000);

  /** Complete whatever opens with valid data (approvals approved, installations successful) until `elementId`. */
  async function untilOpen(release: Release, elementId: string): Promise<Task> {
    return eventually(
      async () => {
        const open = await driver.openTasks(release.id);
        const found = open.find((task) => task.elementId === elementId);
        if (found) return found;
        for (const task of open) await driver.finish(task, HAPPY[task.elementId] ?? {});
        return undefined;
      },
      { timeoutMs: 60_000, what: `${elementId} of ${release.number}` },
    );
  }

  it('an applicant files a standard release from the pages, and each role does its step there until it closes', async () => {
    // when the applicant files the request on the releases page
    const applicant = await as('applicant');
    await applicant.goto(`${base}/releases`);
    await applicant.click('#new-release');
    await applicant.getByLabel(/^标题 \(title\)/).fill('从页面走完的发布');
    // a standard release without a rollback plan passes the form but not the server: told at the field
    await applicant.click('#file-submit');
    const plan = applicant.locator('#file-form .fjs-form-field', { hasText: '回退计划' });
    await plan
      .locator('.fjs-form-field-error', { hasText: 'is required for standard and major releases' })
      .waitFor();
    await expect(driver.get('/api/releases', 'applicant', { q: '从页面走完的发布' })).resolves.toMatchObject({
      total: 0,
    });
    await plan.scrollIntoViewIfNeeded();
    await applicant.screenshot({ path: artifactPath('release-request-refused.png') });
    await applicant.getByLabel(/^回退计划/).fill('从产品库重新安装上一版本');
    await applicant.click('#file-submit');
    await applicant.waitForURL(/\/releases\/REL-/);
    const number = decodeURIComponent(new URL(applicant.url()).pathname.split('/').pop()!);
    const release = await driver.release(number);
    expect(release.releaseClass).toBe('standard');

    // then every task that opens is done in the task list by the user of its group, until the release closes
    const done: string[] = [];
    for (;;) {
      const open = await eventually(
        async () => {
          const tasks = await driver.openTasks(release.id);
          if (tasks.length) return tasks;
          return (await driver.release(release.id)).status === 'in-progress' ? undefined : [];
        },
        { what: `the next task of ${number}` },
      );
      if (open.length === 0) break;
      for (const task of open) {
        const page = await as(task.candidateGroups[0]!);
        await openInList(page, task);
        await fillForm(page, task, HAPPY[task.elementId] ?? {});
        await page.click('#complete');
        await page.locator('#detail-status', { hasText: '已完成 completed' }).waitFor();
        // the pane is drawn again for the completed task, and the outcome stays on it
        await page.locator('#task-status', { hasText: 'completed' }).waitFor();
        await expect(page.locator('#detail-status').textContent()).resolves.toBe('已完成 completed');
        done.push(task.elementId!);
      }
      expect(done.length).toBeLessThan(40);
    }
    expect((await driver.release(release.id)).status).toBe('closed');
    expect(done).toEqual((await driver.pathTaken(release.instanceId)).filter((id) => done.includes(id)));
    expect(done).toEqual(expect.arrayContaining(['assess-request', 'build-package', 'archive-release']));
    const member = await as('project-team');
    await member.click('#view-done');
    await member.locator('.task-row[data-element-id="install-release"]', { hasText: number }).waitFor();
  }, 600_000);

  it('every user task of the three deployed flows opens in the task list with its form', async () => {
    // given the user tasks of the flows as deployed (a step added to a flow is checked too)
    const expected = new Map<string, string>();
    for (const key of FLOWS) {
      const versions = await driver.get(`/api/process-definitions/${key}/versions`, 'process-designer');
      const xml = String(
        (
          await driver.request('GET', `/api/process-definitions/${key}/versions/${versions[0].version}/xml`, {
            as: 'process-designer',
          })
        ).body,
      );
      for (const [, id, name] of xml.matchAll(/<bpmn:userTask id="([^"]+)" name="([^"]+)"/g))
        expected.set(`${key}/${id}`, name!);
    }
    expect(expected.size).toBeGreaterThan(25);

    // and a release of each class taken through every branch with a person in it (reworked, failed once)
    const tasks = new Map<string, Task>();
    for (const releaseClass of ['standard', 'major', 'emergency'] as const) {
      const release = await driver.file(releaseClass, { title: `每个步骤 ${releaseClass}` });
      await walkEveryBranch(release, (task) => {
        const key = `${releaseClass}-release/${task.elementId}`;
        if (!tasks.has(key)) tasks.set(key, task);
      });
    }
    expect([...expected.keys()].filter((key) => !tasks.has(key))).toEqual([]);

    // then in one task list page each opens with its step's name and its form rendered
    const page = await as('project-manager');
    await page.goto(`${base}/tasks?view=all`);
    for (const [key, name] of expected) {
      const task = tasks.get(key)!;
      await page.evaluate((id) => {
        const w = globalThis as any;
        w.history.pushState(null, '', `/tasks?view=all&task=${id}`);
        w.dispatchEvent(new w.PopStateEvent('popstate'));
      }, task.id);
      const title = page.locator(`#task-title[data-task-id="${task.id}"]`);
      await title.waitFor();
      await expect(title.textContent()).resolves.toContain(name);
      await expect(title.textContent()).resolves.toContain(task.elementId!.replace(/-/g, ' '));
      const detail = await driver.taskDetail(task.id);
      const firstLabel = firstLabelOf(detail.form);
      if (firstLabel) await page.locator('#task-form .fjs-form', { hasText: firstLabel }).waitFor();
      else await page.locator('#task-form .fjs-form').waitFor();
    }
  }, 600_000);

  /** A person's answers that take the release through its rework and rollback branches once, then on to its end. */
  async function walkEveryBranch(release: Release, seen: (task: Task) => void): Promise<void> {
    const visits = new Map<string, number>();
    const answer = (elementId: string): Record<string, unknown> => {
      const visit = (visits.get(elementId) ?? 0) + 1;
      visits.set(elementId, visit);
      if (elementId === 'assess-request') return { assessmentDecision: visit === 1 ? 'rework' : 'approve' };
      if (elementId === 'install-release') return { installResult: visit === 1 ? 'failure' : 'success' };
      if (elementId === 'record-rollback-cause') return { reExecute: true };
      return HAPPY[elementId] ?? {};
    };
    await eventually(
      async () => {
        const view = await driver.release(release.id);
        if (view.status !== 'in-progress') return view.status;
        for (const task of await driver.openTasks(release.id)) {
          seen(task);
          await driver.finish(task, answer(task.elementId!));
        }
        return undefined;
      },
      { timeoutMs: 120_000, what: `release ${release.number} to end` },
    );
  }

  /** Fill the task's form in the page as a person would: its required fields and the scenario's answers. */
  async function fillForm(page: Page, task: Task, answers: Record<string, unknown>): Promise<void> {
    const { form } = await driver.taskDetail(task.id);
    if (!form) return;
    const fields = fieldsOf(form);
    const values = sampleFormData(form, answers);
    for (const [key, value] of Object.entries(values)) {
      const field = fields.get(key)!;
      const label = new RegExp(`^${escape(field.label ?? '')}\\*?$`);
      switch (field.type) {
        case 'textfield':
        case 'textarea':
        case 'number':
          await page.getByLabel(label).fill(String(value));
          break;
        case 'checkbox':
          await page.getByLabel(label).setChecked(value === true);
          break;
        case 'radio': {
          const option = field.values!.find((v) => v.value === value)!;
          await page.getByLabel(option.label ?? String(option.value), { exact: true }).check();
          break;
        }
        case 'datetime': {
          // Date and time inputs of the form's n-th date-time field (their labels repeat across fields).
          const nth = [...fields.values()].filter((c) => c.type === 'datetime').indexOf(field);
          const box = page.locator('#task-form .fjs-form-field-datetime').nth(nth);
          const date = await page.evaluate(() => new Date().toLocaleDateString());
          await box.locator('input').first().fill(date);
          await box.locator('input').first().press('Enter');
          await box.getByPlaceholder('hh:mm').fill('09:00');
          await box.getByPlaceholder('hh:mm').press('Tab');
          break;
        }
        case 'dynamiclist':
          break; // no entries: the lists of the happy path are empty
        default:
          throw new Error(`the scenario fills no ${field.type} field (${key} of ${form.id})`);
      }
    }
  }

  it('met no script errors, CSP violations or requests to other origins', () => {
    expect(problems).toEqual([]);
  });
});

const FLOWS = ['standard-release', 'major-release', 'emergency-release'];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The label of a form's first input, as the page shows it (a date-time field shows its date's label). */
function firstLabelOf(form: FormJsSchema | null): string | undefined {
  const first = form ? [...fieldsOf(form).values()].find((c) => c.label) : undefined;
  if (first?.type === 'datetime') return (first as { dateLabel?: string }).dateLabel;
  return first?.label;
}

const HAPPY: Record<string, Record<string, unknown>> = {
  'approve-emergency': { approvalDecision: 'approve' },
  'allocate-version': { versionNumber: '1.0.0' },
  'check-configuration': { configurationVerified: true },
  'review-plan': { planApproved: true },
  'assess-request': { assessmentDecision: 'approve' },
  'test-release': { testResult: 'pass' },
  'authorise-deployment': { deploymentDecision: 'approve' },
  'install-release': { installResult: 'success' },
  'verify-release': { verificationResult: 'pass' },
};
