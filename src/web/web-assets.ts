import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The pages the web build writes (web/build.mjs), by route name. */
export const PAGES = {
  login: 'login.html',
  modeler: 'modeler.html',
  instance: 'instance.html',
  tasks: 'tasks.html',
  releases: 'releases.html',
  statistics: 'statistics.html',
  incidents: 'incidents.html',
} as const;

export type PageName = keyof typeof PAGES;

/**
 * Strict policy for the pages: scripts and styles only from this origin (no inline script, no CDN), API
 * calls to this origin only. Inline style attributes stay allowed: diagram-js positions its overlays,
 * palette and direct-editing box with them.
 */
const POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];
export const CONTENT_SECURITY_POLICY = POLICY.join('; ');

/**
 * The modeler's policy: the same, except that `<style>` elements may be inline. The properties panels' FEEL and
 * template inputs (CodeMirror, in the form editor's label, text and expression fields) mount their styles as
 * `<style>` elements, and offer no nonce through the form editor. Scripts stay as strict as on every page.
 */
export const MODELER_CONTENT_SECURITY_POLICY = [...POLICY, "style-src-elem 'self' 'unsafe-inline'"].join(
  '; ',
);

/** The policy a page is served under. */
export function contentSecurityPolicy(page: PageName): string {
  return page === 'modeler' ? MODELER_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY;
}

/** The project root: the nearest folder up from here with a package.json (works from src/ and dist/src/). */
function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** Where the built pages are; `WEB_DIST_DIR` overrides (e.g. a bundle built elsewhere). */
export function webDistDir(): string {
  return process.env.WEB_DIST_DIR ?? join(projectRoot(__dirname), 'dist', 'web');
}

/** Whether the web build has run: every page is there. */
export function webBuilt(dir: string = webDistDir()): boolean {
  return Object.values(PAGES).every((page) => existsSync(join(dir, page)));
}
