const fs = require('node:fs');
const path = require('node:path');

/**
 * Jest runs TypeScript through swc; ESM-only packages in node_modules are compiled to CommonJS on demand.
 *
 * Two projects: `parallel` holds the files that test the service in-process, each on its own database and
 * queue prefix; `serial` the ones that run the built service (`dist/`, so only after `npm run build`) as child
 * processes, the embedded start and the browser. `npm test` starts the first at once, beside the type check and
 * lint, and the second once the build is done; both take several files at a time (every file has its own
 * database, queue prefix, ports and folders).
 */
const SERIAL = [
  '<rootDir>/test/browser/',
  '<rootDir>/test/embedded/',
  '<rootDir>/test/ops/graceful-shutdown.e2e-spec.ts',
  '<rootDir>/test/resilience/',
];

/**
 * Names of the packages in node_modules/ (nested ones too) that are ES modules (`"type": "module"`), as regex
 * alternatives. A name that is ESM anywhere is compiled everywhere: compiling CommonJS only costs time.
 */
function esmPackages() {
  const found = new Set();
  const visit = (root) => {
    let entries;
    try {
      entries = fs.readdirSync(root);
    } catch {
      return;
    }
    const names = entries.flatMap((name) =>
      name.startsWith('@')
        ? fs.readdirSync(path.join(root, name)).map((scoped) => `${name}/${scoped}`)
        : [name],
    );
    for (const name of names) {
      const dir = path.join(root, name);
      try {
        if (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).type === 'module') {
          found.add(name);
        }
      } catch {
        // not a package
      }
      visit(path.join(dir, 'node_modules'));
    }
  };
  visit(path.join(__dirname, 'node_modules'));
  return [...found].map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

const shared = {
  testEnvironment: '<rootDir>/test/cpu-environment.cjs',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
    '^.+\\.m?js$': '<rootDir>/test/esm-to-cjs.cjs',
  },
  // Only ESM packages (and .mjs files) need compiling; CommonJS ones skip jest's transform cache entirely.
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages().join('|')})/)(?!.*\\.mjs$)`],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^pg-native$': '<rootDir>/test/no-pg-native.cjs' },
  // A query sent on a connection still running another fails the test (node-postgres 9 refuses it).
  setupFilesAfterEnv: ['<rootDir>/test/support/pg-overlap-guard.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};

const TEST_FILES = ['**/*.spec.ts', '**/*.e2e-spec.ts'];

const PROJECTS = ['parallel', 'serial'];

/**
 * `--selectProjects` takes several names, so in `jest --selectProjects parallel test/x.e2e-spec.ts` the path
 * lands among the project names and every file of the project runs. Such paths select files here instead,
 * as they would in front of the option.
 */
function pathsGivenAsProjects(argv) {
  const at = argv.findIndex((arg) => arg === '--selectProjects' || arg === '--select-projects');
  if (at < 0) return [];
  const paths = [];
  for (const arg of argv.slice(at + 1)) {
    if (arg.startsWith('-')) break;
    if (!PROJECTS.includes(arg)) paths.push(arg);
  }
  return paths;
}

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A project's files narrowed to `paths` (files, folders or parts of a path, as on the command line). */
function select(project, paths, suffix) {
  if (paths.length === 0) return project;
  const { testMatch: _all, ...rest } = project;
  return {
    ...rest,
    testRegex: paths.map((p) => `.*${escapeRegex(p.replace(/^\.\//, ''))}(.*${suffix})?$`),
  };
}

const givenPaths = pathsGivenAsProjects(process.argv);

/**
 * `npm run test:parallel` (so `npm test`) runs the in-process files in groups: each group is one test file
 * under test/.groups/, written here, that runs its members one after the other inside a describe named after
 * the member. Every member keeps its own app, database and queue prefix; what the group shares is the test
 * process's loaded modules (Nest, TypeORM, BullMQ, the engine...), which jest otherwise loads afresh for
 * every file, a few CPU seconds each. Files named on the command line run alone, as always.
 */
const GROUPS_DIR = path.join(__dirname, 'test', '.groups');
/**
 * About this many groups: each costs its test process a load of the modules (1.5 s of CPU), and a few groups per
 * worker (--maxWorkers=3) still let jest even out a group that takes longer than measured.
 */
const GROUP_COUNT = 12;
/** Each group notes how long each of its members took (wall ms), for the next run's balance. */
const TIMES_DIR = path.join(GROUPS_DIR, 'times');

function wholeParallelRun(argv) {
  if (process.env.npm_lifecycle_event !== 'test:parallel') return false;
  // Anything that is not an option or a project name may be a path or an option's value: run files alone.
  const at = argv.findIndex((arg) => /(^|[\\/])jest(\.js)?$/.test(arg));
  return argv.slice(at + 1).every((arg) => arg.startsWith('-') || PROJECTS.includes(arg));
}

/** The parallel project's test files, as the project would find them. */
function parallelFiles() {
  const files = [];
  for (const root of ['src', 'test']) {
    for (const entry of fs.readdirSync(path.join(__dirname, root), {
      recursive: true,
      withFileTypes: true,
    })) {
      if (!entry.isFile() || !/\.(e2e-)?spec\.ts$/.test(entry.name)) continue;
      const file = path.join(entry.parentPath, entry.name);
      const relative = path.relative(__dirname, file).split(path.sep).join('/');
      if (relative.startsWith('test/.groups/')) continue;
      if (SERIAL.some((entry) => `<rootDir>/${relative}`.startsWith(entry))) continue;
      files.push({ relative, size: fs.statSync(file).size });
    }
  }
  return files;
}

/** The members' last measured times (ms) by path, from the groups of earlier runs. */
function memberTimes() {
  const times = new Map();
  let names;
  try {
    names = fs.readdirSync(TIMES_DIR);
  } catch {
    return times;
  }
  for (const name of names) {
    try {
      for (const [member, ms] of Object.entries(
        JSON.parse(fs.readFileSync(path.join(TIMES_DIR, name), 'utf8')),
      ))
        if (typeof ms === 'number' && ms >= 0) times.set(member, ms);
    } catch {
      // a file being written, or left half-written by a killed run: its members count by size
    }
  }
  return times;
}

/**
 * Each file's expected time: as measured last time, else its size times the measured files' time per byte (or
 * its size alone on a first run, when no file is measured).
 */
function weighted(files) {
  const times = memberTimes();
  const timed = files.filter((file) => times.has(file.relative));
  const perByte =
    timed.length > 0
      ? timed.reduce((sum, file) => sum + times.get(file.relative), 0) /
        Math.max(
          1,
          timed.reduce((sum, file) => sum + file.size, 0),
        )
      : 1;
  return files.map((file) => ({ ...file, weight: times.get(file.relative) ?? file.size * perByte }));
}

/**
 * GROUP_COUNT groups balanced by expected time (the longest files first, each to the lightest group), written as
 * test/.groups/group-NN.e2e-spec.cjs; the members' paths and the group's expected time are listed first in each,
 * for the sequencer (test/group-sequencer.cjs), which starts the longest group first.
 */
function writeGroups() {
  const files = weighted(parallelFiles()).sort(
    (a, b) => b.weight - a.weight || a.relative.localeCompare(b.relative),
  );
  const groups = Array.from({ length: Math.min(GROUP_COUNT, files.length) }, () => ({
    weight: 0,
    members: [],
  }));
  for (const file of files) {
    const lightest = groups.reduce((min, group) => (group.weight < min.weight ? group : min));
    lightest.members.push(file.relative);
    lightest.weight += file.weight;
  }
  fs.mkdirSync(TIMES_DIR, { recursive: true });
  const names = new Set();
  groups.forEach((group, index) => {
    const name = `group-${String(index + 1).padStart(2, '0')}.e2e-spec.cjs`;
    names.add(name);
    const text =
      `// members: ${JSON.stringify(group.members)}\n` +
      `// weight: ${Math.round(group.weight)}\n` +
      '// Written by jest.config.cjs for `npm run test:parallel`: these test files run one after the other in\n' +
      '// this one test process, so they load the modules once. Each keeps its own app and database. How long\n' +
      "// each took goes to times/, for the next run's groups.\n" +
      "const fs = require('node:fs');\n" +
      "const path = require('node:path');\n" +
      'const times = {};\n' +
      'for (const member of ' +
      JSON.stringify(group.members) +
      ') {\n' +
      '  describe(member, () => {\n' +
      '    let started;\n' +
      '    beforeAll(() => {\n' +
      '      started = Date.now();\n' +
      '    });\n' +
      "    require(path.join(__dirname, '..', '..', member));\n" +
      '    afterAll(() => {\n' +
      '      times[member] = Date.now() - started;\n' +
      '    });\n' +
      '  });\n' +
      '}\n' +
      'afterAll(() => {\n' +
      `  const file = path.join(__dirname, 'times', ${JSON.stringify(name.replace(/\.e2e-spec\.cjs$/, '.json'))});\n` +
      '  fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(times));\n' +
      '  fs.renameSync(`${file}.${process.pid}.tmp`, file);\n' +
      '});\n';
    const target = path.join(GROUPS_DIR, name);
    let current;
    try {
      current = fs.readFileSync(target, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) return;
    // Written aside and renamed: a concurrent run never reads half a file.
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, target);
  });
  for (const name of fs.readdirSync(GROUPS_DIR)) {
    if (!names.has(name) && name.endsWith('.cjs')) fs.rmSync(path.join(GROUPS_DIR, name), { force: true });
  }
}

const grouped = givenPaths.length === 0 && wholeParallelRun(process.argv);
if (grouped) writeGroups();

module.exports = {
  projects: [
    select(
      grouped
        ? {
            ...shared,
            displayName: 'parallel',
            testMatch: ['<rootDir>/test/.groups/*.e2e-spec.cjs'],
          }
        : {
            ...shared,
            displayName: 'parallel',
            testMatch: TEST_FILES,
            testPathIgnorePatterns: ['/test/\\.groups/', ...SERIAL],
          },
      givenPaths,
      '\\.(e2e-)?spec\\.ts',
    ),
    select(
      {
        ...shared,
        displayName: 'serial',
        testMatch: SERIAL.map((entry) => (entry.endsWith('/') ? `${entry}**/*.e2e-spec.ts` : entry)),
      },
      givenPaths,
      '\\.e2e-spec\\.ts',
    ),
  ],
  // Global options: jest ignores them inside a project.
  testTimeout: 60000,
  /**
   * How long a test process may take to exit once told to before jest kills it ("failed to exit gracefully").
   * One that has closed everything still spends a while in exit freeing its V8 heap (about 500 MB after files
   * that ran the service), and unmapping it is slow on a virtual machine: 0.2-0.6 s measured with both cores
   * busy, past jest's default half second. A leaked socket, child or interval keeps a process up for good, so
   * is still reported.
   */
  workerGracefulExitTimeout: 5000,
  testSequencer: '<rootDir>/test/group-sequencer.cjs',
  reporters: ['default', '<rootDir>/test/slowest-files-reporter.cjs'],
};
