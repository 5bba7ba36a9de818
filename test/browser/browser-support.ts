import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { webBuilt } from '../../src/web/web-assets';
import { PROJECT_ROOT } from '../support/test-app';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');

/** The flags Debian's Chromium runs headless with here (see docs/stack-notes.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPresent(): boolean {
  return existsSync(CHROMIUM);
}

/** The browser suite fails (never skips) without Chromium, saying how to get it. */
export function requireChromium(): void {
  if (chromiumPresent()) return;
  throw new Error(
    `no Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium fonts-noto-cjk" (or run bash .ci/run), ` +
      'or point CHROMIUM_PATH at a Chromium binary',
  );
}

/** The browser tests need the pages: build them when `npm test` has not (e.g. jest run on its own). */
export function ensureWebBuilt(): void {
  if (webBuilt()) return;
  execFileSync(process.execPath, [join(PROJECT_ROOT, 'web', 'build.mjs')], {
    cwd: PROJECT_ROOT,
    stdio: 'pipe',
  });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
