// Compiles the service's TypeScript to CommonJS in dist/ with swc: file by file, without type checking, in a
// fraction of tsc's time. Types are checked by `npm run typecheck` (tsc --noEmit), which `npm test` runs too.
// The options are the ones the tests run the sources with (jest.config.cjs): legacy decorators with their
// design-type metadata, which Nest's dependency injection reads.
//
//   node scripts/build.mjs
//
// Compiles src/ (without its *.spec.ts), bench/ and test/support/ (the bench drives the service with the test
// driver) where present, each file to the same path under dist/ with its source map; their .mjs files are copied.
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const ROOTS = ['src', 'bench', join('test', 'support')];

const options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: true,
  swcrc: false,
  configFile: false,
};

async function sources(dir, extension = '.ts') {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension) && !entry.name.endsWith('.d.ts'))
    .filter((entry) => !entry.name.endsWith('.spec.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

async function compile(file) {
  const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
  const mapName = `${target.slice(dirname(target).length + 1)}.map`;
  const { code, map } = await transformFile(file, {
    ...options,
    filename: file,
    sourceFileName: relative(dirname(target), file),
    outputPath: target,
  });
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${code}\n//# sourceMappingURL=${mapName}\n`);
  if (map) await writeFile(`${target}.map`, map);
}

const started = Date.now();
const files = (await Promise.all(ROOTS.map((dir) => sources(join(root, dir))))).flat();
// A few files at a time per core: swc works on libuv's threads.
const queue = [...files];
const workers = Array.from({ length: Math.max(2, availableParallelism()) * 2 }, async () => {
  for (let file = queue.shift(); file; file = queue.shift()) await compile(file);
});
await Promise.all(workers);
// JavaScript modules among the sources (test/support/form-fill.mjs, which the driver imports) go over as they are.
const modules = (await Promise.all(ROOTS.map((dir) => sources(join(root, dir), '.mjs')))).flat();
for (const file of modules) {
  const target = join(out, relative(root, file));
  await mkdir(dirname(target), { recursive: true });
  await copyFile(file, target);
}
console.log(`${files.length} TypeScript files compiled into ${out} in ${Date.now() - started} ms`);
