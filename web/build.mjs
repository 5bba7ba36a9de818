// Builds the pages into dist/web: bundles the page scripts with esbuild and copies the pages, their CSS and
// the CSS/fonts of bpmn-js, the properties panel and form-js from node_modules. Nothing is fetched from a CDN.
import { cp, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const out = join(root, 'dist', 'web');
const assets = join(out, 'assets');
const require = createRequire(import.meta.url);
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));

const started = Date.now();
await rm(out, { recursive: true, force: true });
await mkdir(join(assets, 'vendor'), { recursive: true });

await build({
  entryPoints: ['login', 'modeler', 'instance', 'tasks', 'releases', 'statistics', 'incidents'].map((page) =>
    join(here, 'src', `${page}.js`),
  ),
  outdir: assets,
  bundle: true,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  sourcemap: true,
  target: ['chrome110', 'firefox110', 'safari16'],
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.json': 'json' },
  // One preact for all: the form-js editor ships its own older copy, and hooks from two copies break.
  alias: { preact: packageDir('preact') },
  logLevel: 'warning',
});

const bpmnJs = join(packageDir('bpmn-js'), 'dist', 'assets');
await Promise.all([
  cp(join(bpmnJs, 'diagram-js.css'), join(assets, 'vendor', 'diagram-js.css')),
  cp(join(bpmnJs, 'bpmn-js.css'), join(assets, 'vendor', 'bpmn-js.css')),
  cp(join(bpmnJs, 'bpmn-font'), join(assets, 'vendor', 'bpmn-font'), { recursive: true }),
  cp(
    join(packageDir('@bpmn-io/properties-panel'), 'dist', 'assets', 'properties-panel.css'),
    join(assets, 'vendor', 'properties-panel.css'),
  ),
  cp(
    join(packageDir('@bpmn-io/form-js'), 'dist', 'assets', 'form-js.css'),
    join(assets, 'vendor', 'form-js.css'),
  ),
  cp(
    join(packageDir('@bpmn-io/form-js'), 'dist', 'assets', 'form-js-editor.css'),
    join(assets, 'vendor', 'form-js-editor.css'),
  ),
  cp(
    join(packageDir('@bpmn-io/form-js'), 'dist', 'assets', 'flatpickr'),
    join(assets, 'vendor', 'flatpickr'),
    {
      recursive: true,
    },
  ),
  cp(join(here, 'src', 'app.css'), join(assets, 'app.css')),
  cp(join(here, 'pages'), out, { recursive: true }),
]);
console.log(`web pages built into ${out} in ${Date.now() - started} ms`);
