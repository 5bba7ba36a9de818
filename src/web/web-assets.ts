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
export const CONTENT_SECURITY_POLICY = [
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
].join('; ');

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
