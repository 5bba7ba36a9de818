import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ReportService } from '../../src/releases/reports/report.service';
import { ReleaseDriver } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { CHROMIUM, CHROMIUM_ARGS, chromiumPresent } from './browser-support';

const present = chromiumPresent();

/** The pages' Content-Security-Policies in Chromium: Swagger UI still works, the report runs no script. */
(present ? describe : describe.skip)('content security policies in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  const console: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({
      extraHTTPHeaders: { authorization: `Bearer ${t.tokens['project-manager']}` },
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') console.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  beforeEach(() => {
    console.length = 0;
  });

  it('renders Swagger UI with its operations and no policy violation', async () => {
    await page.goto(`${base}/api/docs`);
    await page.locator('.opblock-summary').first().waitFor();
    expect(await page.locator('.opblock-summary').count()).toBeGreaterThan(10);
    expect(console.filter((text) => /Content Security Policy|Refused to/.test(text))).toEqual([]);
  });

  it('styles the HTML report and runs no script in it, even one that got into the stored HTML', async () => {
    // given a generated report whose stored HTML somehow carries a script
    const driver = new ReleaseDriver(base, t.tokens);
    const release = await driver.file('emergency', { title: 'Policy check' });
    await t.get<ReportService>(ReportService).generate(t.dataSource.manager, {
      jobId: randomUUID(),
      releaseId: release.id,
      kind: 'release-report',
    });
    await t.dataSource.query(
      `UPDATE release_report SET html = replace(html, '</body>', '<script>document.title = "ran"</script></body>')
        WHERE release_id = $1`,
      [release.id],
    );

    // when it is opened in the browser
    await page.goto(`${base}/api/releases/${release.id}/reports/release-report?format=html`);

    // then its inline style applies, the script does not run, and the browser says why
    const border = await page
      .locator('h1')
      .evaluate((h1) => (globalThis as any).getComputedStyle(h1).borderBottomWidth as string);
    expect(border).toBe('2px');
    expect(await page.title()).not.toBe('ran');
    expect(console.some((text) => /Content Security Policy/.test(text))).toBe(true);
  });
});
