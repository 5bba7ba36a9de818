import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ReleaseDriver } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { TEST_USER_PASSWORD } from '../support/users';
import { artifactPath, CHROMIUM, CHROMIUM_ARGS, ensureWebBuilt, requireChromium } from './browser-support';

/**
 * In headless Chromium: a designer signs in, opens the standard flow, renames a task, deploys version 2 and
 * sees it listed; a server validation error lands on its element; an operator opens a running release's
 * instance view and finds its active task marked. Screenshots go to test-artifacts/.
 */
describe('the modeler and the instance view in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    requireChromium();
    ensureWebBuilt();
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'zh-CN' });
    page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      // 400 and 401 answers (a wrong password, a refused file) are part of the scenario.
      const expected = /Failed to load resource: the server responded with a status of 40[01]/;
      if (message.type() === 'error' && !expected.test(message.text()))
        problems.push(`console: ${message.text()}`);
    });
    // Nothing may leave for another origin (no CDN).
    await context.route(
      (url) => url.origin !== new URL(base).origin,
      async (route) => {
        problems.push(`request to another origin: ${route.request().url()}`);
        await route.abort();
      },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in with the API user and lands on the modeler', async () => {
    await page.goto(`${base}/modeler`);
    await page.waitForURL(/\/login\?next=%2Fmodeler/);
    await page.fill('#username', 'process-designer');
    await page.fill('#password', 'wrong');
    await page.click('#sign-in');
    await page.getByText('wrong username or password').waitFor();
    await page.fill('#password', TEST_USER_PASSWORD);
    await page.click('#sign-in');
    await page.waitForURL(`${base}/modeler`);
    await page.locator('.app-header .user', { hasText: 'process-designer' }).waitFor();
  });

  it('opens the standard flow, renames a task, deploys it and sees version 2 listed', async () => {
    await page.click('[data-key="standard-release"] .process-open');
    const task = page.locator('.djs-element[data-element-id="assess-request"]');
    await task.waitFor();
    await page.locator('#current-label', { hasText: 'standard-release · version 1' }).waitFor();
    // The Chinese names render with a CJK font.
    expect(
      await page.evaluate(() =>
        (globalThis as any).document.fonts.check('14px "Noto Sans CJK SC"', '评估发布申请'),
      ),
    ).toBe(true);
    await expect(task.textContent()).resolves.toContain('评估发布申请');

    await task.dblclick();
    const editor = page.locator('.djs-direct-editing-parent');
    await editor.waitFor();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('评估发布申请（修订）');
    await page.locator('.djs-element[data-element-id="start"]').click();
    await expect(task.textContent()).resolves.toContain('评估发布申请（修订）');
    await page.locator('#current-label', { hasText: 'edited, not deployed' }).waitFor();

    await page.click('#deploy');
    await page.locator('#status', { hasText: 'deployed standard-release version 2' }).waitFor();
    await page.locator('[data-key="standard-release"] .version[data-version="2"]').waitFor();
    await page.locator('[data-key="standard-release"] .process-open', { hasText: 'v2' }).waitFor();
    await page.screenshot({ path: artifactPath('modeler-deployed-version-2.png') });

    const versions = await t.as('admin').get('/api/process-definitions/standard-release/versions');
    expect(
      versions.body.map((v: { version: number; deployedBy: string }) => [v.version, v.deployedBy]),
    ).toEqual([
      [2, 'process-designer'],
      [1, 'system'],
    ]);
    const xml = await t.as('admin').get('/api/process-definitions/standard-release/versions/2/xml');
    expect(xml.text).toContain('name="评估发布申请（修订）"');
  });

  it("shows the server's validation errors on the offending element", async () => {
    // Pan to the service task as a user would, then select it.
    await page.evaluate((id) => {
      const modeler = (globalThis as any).releaseFlowModeler;
      modeler.get('canvas').scrollToElement(modeler.get('elementRegistry').get(id));
    }, 'update-cmdb');
    const serviceTask = page.locator('.djs-element[data-element-id="update-cmdb"]');
    await serviceTask.click();
    const group = page.locator('[data-group-id="group-taskDefinition"]');
    await group.locator('.bio-properties-panel-group-header').click();
    const jobType = page.locator('#bio-properties-panel-taskDefinitionType');
    // A job type no worker here has is fine (external workers); one longer than a job type may be is refused.
    const tooLong = `teleport.${'x'.repeat(250)}`;
    await jobType.fill(tooLong);
    // The panel commits its input to the diagram after a short debounce.
    await page.waitForFunction((type) => {
      const modeler = (globalThis as any).releaseFlowModeler;
      const task = modeler.get('elementRegistry').get('update-cmdb').businessObject;
      return task.extensionElements.values.some((v: any) => v.type === type);
    }, tooLong);

    await page.click('#validate');
    await page.locator('#status', { hasText: 'not valid' }).waitFor();
    await page.locator('.djs-element.rf-validation-error[data-element-id="update-cmdb"]').waitFor();
    await page.locator('.rf-error-badge').first().waitFor();
    const listed = page.locator('#problem-list .problem.error[data-field="update-cmdb"]');
    await expect(listed.textContent()).resolves.toMatch(/has a job type of 259 characters/);
    await page.screenshot({ path: artifactPath('modeler-validation-error.png') });

    // Deploying it is refused the same way, and nothing is stored.
    await page.click('#deploy');
    await page.locator('#status', { hasText: 'not deployed' }).waitFor();
    const versions = await t.as('admin').get('/api/process-definitions/standard-release/versions');
    expect(versions.body).toHaveLength(2);
  });

  it("opens a running release's instance view with its active task marked", async () => {
    const driver = new ReleaseDriver(base, t.tokens);
    const release = await driver.file('standard', { title: '升级计费系统' });
    await driver.openTask(release.id, 'assess-request');

    await page.goto(`${base}/releases/${release.number}`);
    await page.locator('.djs-element.rf-active[data-element-id="assess-request"]').waitFor();
    await page.locator('.djs-element.rf-completed[data-element-id="start"]').waitFor();
    await page.locator('.djs-connection.rf-taken[data-element-id="flow-start-to-assess-request"]').waitFor();
    await page.locator('.rf-token').first().waitFor();
    await page.locator('#release h1', { hasText: `${release.number} 升级计费系统` }).waitFor();
    await page.locator('#release', { hasText: 'standard-release version 2' }).waitFor();
    await page.locator('#open-tasks .task-name[data-element-id="assess-request"]').waitFor();
    await expect(page.locator('#variables pre').textContent()).resolves.toContain('升级计费系统');
    await expect(page.locator('#history').textContent()).resolves.toContain('instance.started');
    await page.screenshot({ path: artifactPath('instance-view-active-task.png') });

    // The view follows the release: complete the task, refresh, and the marks move on.
    const task = await driver.openTask(release.id, 'assess-request');
    expect((await driver.complete(task, { assessmentDecision: 'approve' })).status).toBe(200);
    await page.click('#refresh');
    await page.locator('.djs-element.rf-completed[data-element-id="assess-request"]').waitFor();
    await expect(
      page.locator('.djs-element.rf-active[data-element-id="assess-request"]').count(),
    ).resolves.toBe(0);
  });

  it('met no script errors, CSP violations or requests to other origins', () => {
    expect(problems).toEqual([]);
  });
});
