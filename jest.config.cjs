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
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
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

module.exports = {
  projects: [
    select(
      { ...shared, displayName: 'parallel', testMatch: TEST_FILES, testPathIgnorePatterns: SERIAL },
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
  // A global option: jest ignores it inside a project.
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/slowest-files-reporter.cjs'],
};
