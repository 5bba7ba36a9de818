import { createHash } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ReleaseDriver, STANDARD_HAPPY_PATH, type Release } from '../support/release-driver';
import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { TEST_ADMIN_PASSWORD, TEST_USER_PASSWORD } from '../support/users';
import { artifactPath, CHROMIUM, CHROMIUM_ARGS, ensureWebBuilt, requireChromium } from './browser-support';

/**
 * A release team's day in headless Chromium, on the pages alone: a project-team member signs in, lands on
 * the task list, claims the build task, is told at the field what the form misses, corrects it and
 * completes; a project manager sees every open task and assigns one; the release's record, the release list,
 * the statistics and the operators' incidents page show what happened. Screenshots go to test-artifacts/.
 */
describe("the release team's pages in Chromium", () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let driver: ReleaseDriver;
  let release: Release;
  let emergency: Release;
  const clock = new ManualClock();
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  async function signedIn(username: string, viewport = { width: 1280, height: 860 }): Promise<Page> {
    // One user at a time: the earlier pages (and their polling) are closed first.
    for (const open of contexts.splice(0)) await open.close();
    const context = await browser.newContext({ viewport, locale: 'zh-CN' });
    contexts.push(context);
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
      // The refused completion (400) and a report not generated yet (404) are part of the scenario.
      const expected = /Failed to load resource: the server responded with a status of 40[04]/;
      if (message.type() === 'error' && !expected.test(message.text()))
        problems.push(`console (${username}): ${message.text()}`);
    });
    await page.goto(`${base}/`);
    await page.waitForURL(/\/login$/);
    await page.fill('#username', username);
    await page.fill('#password', username === 'admin' ? TEST_ADMIN_PASSWORD : TEST_USER_PASSWORD);
    await page.press('#password', 'Enter');
    return page;
  }

  beforeAll(async () => {
    requireChromium();
    ensureWebBuilt();
    t = await startTestApp({}, undefined, [], { clock });
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    // given a standard release planned and versioned, waiting for its build
    driver = new ReleaseDriver(base, t.tokens);
    release = await driver.file('standard', { title: '升级计费系统' });
    for (const [elementId, data] of STANDARD_HAPPY_PATH.slice(0, 4)) {
      await driver.step(release.id, elementId, data);
    }
    await driver.openTask(release.id, 'build-package');
    // and an emergency release waiting for its approval
    emergency = await driver.file('emergency', { title: '核心交换机补丁' });
    await driver.openTask(emergency.id, 'approve-emergency');
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  it('a team member lands on the tasks, claims the build, is told what the form misses and completes it', async () => {
    const page = await signedIn('project-team');
    await page.waitForURL(`${base}/tasks`);

    // the build task waits among the group's unclaimed tasks, with its release's number and title
    await page.click('#view-group');
    const row = page.locator(`.task-row[data-element-id="build-package"]`, { hasText: release.number });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('升级计费系统');
    await expect(row.textContent()).resolves.toContain('构建与打包');

    // opened by keyboard: the step's button is focusable and Enter opens the task beside the list
    await row.locator('.open-task').focus();
    await page.keyboard.press('Enter');
    await page.locator('#task-title', { hasText: '构建与打包' }).waitFor();
    await page.locator('#task-record', { hasText: release.number }).waitFor();
    await page.locator('#task-canvas .djs-element.rf-current[data-element-id="build-package"]').waitFor();
    await page
      .locator('#task-canvas .djs-element.rf-completed[data-element-id="allocate-version"]')
      .waitFor();
    await page.screenshot({ path: artifactPath('tasks-group-unclaimed.png') });

    // its step reads in Chinese with English beside
    await expect(page.locator('#task-title').textContent()).resolves.toContain('build package');

    await page.click('#claim');
    await page.locator('#task-assignee', { hasText: 'project-team' }).waitFor();
    // the tabs count what each view holds: the claimed task moved from the group's view to mine
    await page.locator('#count-mine', { hasText: /^1$/ }).waitFor();
    await expect(page.locator('#count-group').textContent()).resolves.toBe('0');
    await expect(page.locator('#task-count').textContent()).resolves.toMatch(
      /组内待领取：0 项.*0 in my groups/,
    );

    // the built package goes into the product library from the task's files, and is listed with its checksum
    const content = Buffer.from('billing 2.4.0 package');
    await page.setInputFiles('#upload-files', {
      name: 'billing-2.4.0.tar.gz',
      mimeType: 'application/gzip',
      buffer: content,
    });
    await page.click('#upload');
    const uploaded = page.locator('#task-files table.files tr', { hasText: 'billing-2.4.0.tar.gz' });
    // (a refusal would show in the form's status instead: its text then names why)
    await uploaded.or(page.locator('#upload-status:not(:empty)')).first().waitFor();
    await expect(page.locator('#upload-status').textContent()).resolves.toBe('');
    await uploaded.waitFor();
    const sha256 = createHash('sha256').update(content).digest('hex');
    await expect(uploaded.locator('code').getAttribute('title')).resolves.toBe(sha256);

    // when the form is sent without its build procedure
    await page.getByLabel('发布包 (package)').fill('billing-2.4.0.tar.gz');
    await page.click('#complete');

    // then the field says so, and the task stays open
    const procedure = page.locator('.fjs-form-field', { hasText: '构建步骤，可重复' });
    await procedure.locator('.fjs-form-field-error').waitFor();
    // in Chinese, with form-js's English beside
    await expect(procedure.locator('.fjs-form-field-error').textContent()).resolves.toBe(
      '此项必填 (Field is required)',
    );
    await page.screenshot({ path: artifactPath('task-form-field-error.png') });
    expect((await driver.openTask(release.id, 'build-package')).assignee).toBe('project-team');

    // when it is corrected and sent again, the task is done and the release moves on to its test
    await page.getByLabel('构建步骤，可重复 (how to repeat the build)').fill('make dist && sha256sum dist/*');
    await page.click('#complete');
    await page.locator('#detail-status:not(:empty)').waitFor();
    await expect(page.locator('#detail-status').textContent()).resolves.toBe('已完成 completed');
    await page.locator('#task-status', { hasText: 'completed' }).waitFor();
    const testTask = await driver.openTask(release.id, 'test-release');
    expect(testTask.status).toBe('open');
    const detail = await driver.taskDetail((await driver.openTask(release.id, 'test-release')).id);
    expect(detail.status).toBe('open');

    // and it is listed among what this member completed
    await page.click('#view-done');
    await page.locator('.task-row[data-element-id="build-package"]', { hasText: release.number }).waitFor();
  }, 120_000);

  it('a project manager sees every open task, assigns one, and sees the escalated approval marked', async () => {
    const page = await signedIn('project-manager');
    await page.waitForURL(`${base}/tasks`);
    await page.click('#view-all');
    const row = page.locator('.task-row[data-element-id="test-release"]', { hasText: release.number });
    await row.locator('.open-task').click();
    await page.locator('#task-title', { hasText: '发布测试' }).waitFor();
    await page.fill('#assignee', 'test-team');
    await page.click('#assign');
    await page.locator('#task-assignee', { hasText: 'test-team' }).waitFor();
    expect((await driver.openTask(release.id, 'test-release')).assignee).toBe('test-team');
    await page.screenshot({ path: artifactPath('tasks-project-manager-assigned.png') });

    // when nobody decides the emergency approval in time, it is escalated and marked so in the list
    await clock.advance(31 * 60_000, t.resources);
    await eventually(
      async () => {
        const rows = await driver.get('/api/tasks', 'project-manager', { release: emergency.number });
        return rows.items.some((r: { escalated: boolean }) => r.escalated) || undefined;
      },
      { what: 'the emergency approval to be escalated' },
    );
    await page.click('#refresh');
    const escalatedRow = page.locator('.task-row[data-element-id="approve-emergency"]', {
      hasText: emergency.number,
    });
    await escalatedRow.locator('.mark.escalated').waitFor();
    await expect(
      page.locator('.task-row[data-element-id="test-release"] .mark.escalated').count(),
    ).resolves.toBe(0);
    await page.screenshot({ path: artifactPath('tasks-escalated-mark.png') });
  }, 120_000);

  it('the release record, the list and the statistics show where the release is', async () => {
    const page = await signedIn('project-manager');
    await page.waitForURL(`${base}/tasks`);
    await page.click('#view-all');
    await page
      .locator('.task-row[data-element-id="test-release"]', { hasText: release.number })
      .locator('.open-task')
      .click();
    await page.locator('#task-title', { hasText: '发布测试' }).waitFor();

    // the record: current step, files, reports, history
    await page.click('.task-release a');
    await page.waitForURL(`${base}/releases/${release.number}`);
    await page.locator('#current-steps', { hasText: '发布测试' }).waitFor();
    await page.locator('.djs-element.rf-active[data-element-id="test-release"]').waitFor();
    await expect(page.locator('#history').textContent()).resolves.toContain('task.completed');
    // the timeline says who did the build
    const build = page.locator('#timeline .timeline-entry[data-kind="step"]', { hasText: '构建与打包' });
    await expect(build.textContent()).resolves.toContain('project-team');
    await page.click('[data-report="release-report"]');
    await page.locator('pre.report', { hasText: /404|发布报告/ }).waitFor();
    await page.screenshot({ path: artifactPath('release-record.png') });

    // the list finds it by its title
    await page.goto(`${base}/releases`);
    await page.fill('#q', '计费');
    await page.press('#q', 'Enter');
    await page.locator('.release-link', { hasText: release.number }).waitFor();
    await page.screenshot({ path: artifactPath('releases-list.png') });

    // the statistics draw each measure with its definition
    await page.click('.app-header a[href="/statistics"]');
    await page.locator('.chart[data-measure="successRate"] svg').waitFor();
    await expect(page.locator('.chart').count()).resolves.toBe(6);
    await expect(
      page.locator('.chart[data-measure="onTimeRate"] .definition').textContent(),
    ).resolves.toMatch(/planned/);
    await page.screenshot({ path: artifactPath('statistics.png') });
  }, 120_000);

  it('on a tablet, in English only, the open task sits under the list', async () => {
    const page = await signedIn('test-team', { width: 820, height: 1180 });
    await page.waitForURL(`${base}/tasks`);
    await page.selectOption('#language', 'en');
    await expect(page.locator('.app-header nav a[href="/tasks"]').innerText()).resolves.toBe('Tasks');
    await page.locator('.task-row[data-element-id="test-release"] .open-task').click();
    await page.locator('#task-title', { hasText: '发布测试' }).waitFor();
    const list = await page.locator('.task-list').boundingBox();
    const detail = await page.locator('#task-detail').boundingBox();
    expect(detail!.y).toBeGreaterThanOrEqual(list!.y + list!.height - 1);
    await page.screenshot({ path: artifactPath('tasks-tablet-english.png'), fullPage: true });
  });

  it('an operator lands on the incidents; a designer on the modeler', async () => {
    const admin = await signedIn('admin');
    await admin.waitForURL(`${base}/incidents`);
    await admin
      .locator('#incident-list')
      .getByText(/no incidents|没有故障/)
      .first()
      .waitFor();
    const designer = await signedIn('process-designer');
    await designer.waitForURL(`${base}/modeler`, { waitUntil: 'commit' });
  }, 120_000);

  it('met no script errors, CSP violations or requests to other origins', () => {
    expect(problems).toEqual([]);
  });
});
