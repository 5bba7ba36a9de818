#!/usr/bin/env node
/**
 * How much of a folder of BPMN files this service would deploy: every .bpmn file under the folder (recursively)
 * goes through the check the deploy endpoint runs (dist/, so `npm run build` first), without a database.
 *
 *   node scripts/bpmn-corpus.mjs <folder> [--verbose]
 *
 * Prints per folder the files, how many would deploy (valid) and how many are refused, with the most common
 * refusal reasons (each counted once per file, element names and values blanked out); --verbose adds one line
 * per refused file with its first three reasons. Configuration comes from the same environment as the service
 * (FEEL_*, TIMER_*, DEFINITION_MAX_BYTES). The built-in job types are those of the shipped flows in processes/
 * (the start refuses a shipped flow whose job type has no handler); a job type outside them is a warning only,
 * so it never changes the figures.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist', 'src');
const TOP_REASONS = 8;

const args = process.argv.slice(2);
const verbose = args.includes('--verbose') || args.includes('-v');
const folder = args.find((a) => !a.startsWith('-'));
if (!folder) {
  console.error('usage: node scripts/bpmn-corpus.mjs <folder> [--verbose]');
  process.exit(2);
}

const require = createRequire(import.meta.url);
let check;
try {
  check = {
    ...require(join(DIST, 'definitions', 'definition-check.js')),
    ...require(join(DIST, 'config', 'app-config.js')),
    ...require(join(DIST, 'engine', 'index.js')),
  };
} catch (err) {
  console.error(`cannot load the service from dist/ (run npm run build first): ${err.message}`);
  process.exit(2);
}
const { checkDefinition, loadConfig, parseDocument } = check;

/** Only the settings the check reads: the rest of the service's configuration is not needed here. */
const config = loadConfig(
  Object.fromEntries(
    Object.entries(process.env).filter(([name]) => /^(FEEL_|TIMER_|DEFINITION_MAX_BYTES$)/.test(name)),
  ),
);
const builtInJobTypes = await shippedJobTypes(join(ROOT, 'processes'));
const options = {
  hasHandler: (type) => builtInJobTypes.has(type),
  // Each file is checked as a deployment of its own into an empty service: a form it links must come with it.
  hasForm: () => false,
  limits: { feel: config.feel, timers: config.timers },
  externalJobTypes: 'warn',
};

const base = resolve(folder);
if (!(await stat(base).catch(() => undefined))?.isDirectory()) {
  console.error(`${folder} is not a folder`);
  process.exit(2);
}
const files = (await bpmnFiles(base)).sort();

/** Per folder (relative to the one given): the counts, the reasons by how many files they refuse, the refused files. */
const folders = new Map();
const all = { files: 0, valid: 0, refused: 0, reasons: new Map(), refusedFiles: [] };
for (const file of files) {
  const name = relative(base, dirname(file)) || '.';
  let entry = folders.get(name);
  if (!entry)
    folders.set(name, (entry = { files: 0, valid: 0, refused: 0, reasons: new Map(), refusedFiles: [] }));
  const errors = await refusals(await readFile(file));
  for (const tally of [entry, all]) {
    tally.files++;
    if (errors.length === 0) {
      tally.valid++;
      continue;
    }
    tally.refused++;
    for (const reason of new Set(errors.map(reasonOf)))
      tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
    tally.refusedFiles.push({ file: relative(base, file), errors });
  }
}

for (const [name, entry] of folders) print(name, entry, verbose);
if (folders.size > 1) print('all', all, false);

async function refusals(bytes) {
  if (bytes.byteLength > config.definitions.maxBpmnBytes)
    return [{ field: 'xml', message: `a BPMN file may be at most ${config.definitions.maxBpmnBytes} bytes` }];
  try {
    return [...(await checkDefinition(bytes, options)).errors];
  } catch (err) {
    // The endpoint would answer 500 here: count it, loudly.
    return [{ field: 'xml', message: `INTERNAL ERROR (a deploy would answer 500): ${err?.stack ?? err}` }];
  }
}

/** A refusal without what is particular to one file: names, ids, values and lists blanked out. */
function reasonOf({ message }) {
  return message
    .replace(/^(the [a-z ]+?) "[^"]*"( \([^)]*\))?/, '$1')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/<[^>]*>/g, '<…>')
    .replace(/\([^()]*\)/g, '(…)')
    .replace(/\b\d+\b/g, 'N');
}

function print(name, { files, valid, refused, reasons, refusedFiles }, withFiles) {
  const share = files === 0 ? 0 : Math.round((valid / files) * 100);
  console.log(`\n${name}: ${files} files, ${valid} valid (${share}%), ${refused} refused`);
  const top = [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP_REASONS);
  for (const [reason, count] of top) console.log(`  ${String(count).padStart(4)}  ${reason}`);
  if (!withFiles) return;
  for (const { file, errors } of refusedFiles) {
    const first = errors.slice(0, 3).map((e) => `${e.field}: ${e.message}`);
    console.log(
      `  refused ${file}: ${first.join(' | ')}${errors.length > 3 ? ` (+${errors.length - 3} more)` : ''}`,
    );
  }
}

async function bpmnFiles(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await bpmnFiles(path)));
    else if (entry.isFile() && entry.name.endsWith('.bpmn')) found.push(path);
  }
  return found;
}

async function shippedJobTypes(dir) {
  const types = new Set();
  for (const file of await readdir(dir).catch(() => [])) {
    if (!file.endsWith('.bpmn')) continue;
    const document = await parseDocument(await readFile(join(dir, file), 'utf8'));
    for (const process of document.processes) for (const type of process.jobTypes) types.add(type);
  }
  return types;
}
