import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY, MODELER_CONTENT_SECURITY_POLICY } from '../../src/web/web-assets';
import { startTestApp, type TestApp } from '../support/test-app';
import { ensureWebBuilt } from './browser-support';

/** How the service serves the pages (no browser needed). */
describe('the web pages', () => {
  describe('when built', () => {
    let t: TestApp;
    beforeAll(async () => {
      ensureWebBuilt();
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it.each([
      '/login',
      '/modeler',
      '/releases/REL-2026-0001',
      '/tasks',
      '/releases',
      '/statistics',
      '/incidents',
    ])('serves %s without a token, with a strict Content-Security-Policy', async (path) => {
      const response = await t.http().get(path);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      const csp = response.headers['content-security-policy'];
      // The modeler alone lets <style> elements be inline (its properties panels' editors mount them).
      expect(csp).toBe(path === '/modeler' ? MODELER_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/style-src 'self'(;|$)/);
      expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|https?:/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      // No inline script and nothing from another origin.
      expect(response.text).not.toMatch(/<script(?![^>]*\bsrc="\/web\/assets\/)[^>]*>/);
      expect(response.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    });

    it('sends / to sign-in (which sends a signed-in user on by role) and /inbox to the tasks', async () => {
      const response = await t.http().get('/');
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe('/login');
      const inbox = await t.http().get('/inbox');
      expect(inbox.status).toBe(302);
      expect(inbox.headers.location).toBe('/tasks');
    });

    it("serves the bundles and the packages' CSS, and nothing outside the build", async () => {
      const script = await t.http().get('/web/assets/modeler.js');
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
      for (const css of [
        'vendor/bpmn-js.css',
        'vendor/diagram-js.css',
        'vendor/properties-panel.css',
        'app.css',
      ]) {
        const response = await t.http().get(`/web/assets/${css}`);
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toMatch(/text\/css/);
      }
      expect((await t.http().get('/web/assets/vendor/bpmn-font/font/bpmn.woff2')).status).toBe(200);
      expect((await t.http().get('/web/assets/nope.js')).status).toBe(404);
      for (const path of ['/web/assets/..%2f..%2fpackage.json', '/web/assets/%2e%2e/%2e%2e/package.json']) {
        const response = await t.http().get(path);
        expect([403, 404]).toContain(response.status);
        expect(response.text).not.toContain('"name": "release-flow"');
      }
    });

    it('keeps the API behind the token', async () => {
      expect((await t.http().get('/api/process-definitions')).status).toBe(401);
    });
  });

  describe('when not built', () => {
    let t: TestApp;
    let empty: string;
    const saved = process.env.WEB_DIST_DIR;
    beforeAll(async () => {
      empty = mkdtempSync(join(tmpdir(), 'web-'));
      process.env.WEB_DIST_DIR = empty;
      t = await startTestApp();
    });
    afterAll(async () => {
      if (saved === undefined) delete process.env.WEB_DIST_DIR;
      else process.env.WEB_DIST_DIR = saved;
      rmSync(empty, { recursive: true, force: true });
      await t.close();
    });

    it('still starts; the pages answer 503 saying how to build them, the API works', async () => {
      for (const path of ['/login', '/modeler', '/releases/x', '/tasks']) {
        const response = await t.http().get(path);
        expect(response.status).toBe(503);
        expect(response.text).toMatch(/npm run build:web/);
      }
      expect((await t.http().get('/web/assets/modeler.js')).status).toBe(503);
      expect((await t.as('applicant').get('/api/process-definitions')).status).toBe(200);
    });
  });
});
