/**
 * Jest runs TypeScript through swc; ESM-only packages in node_modules are compiled to CommonJS on demand.
 *
 * Two projects: `parallel` holds the files that are isolated (each makes its own database and queue prefix),
 * `serial` the ones that start child processes, an embedded PostgreSQL or a browser, which compete for ports,
 * CPU and the built `dist/`. `npm test` runs the first with several workers, then the second in band.
 */
const SERIAL = [
  '<rootDir>/test/browser/',
  '<rootDir>/test/embedded/',
  '<rootDir>/test/ops/',
  '<rootDir>/test/resilience/',
];

const shared = {
  testEnvironment: 'node',
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
  transformIgnorePatterns: [],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/test/global-setup.ts',
};

const TEST_FILES = ['**/*.spec.ts', '**/*.e2e-spec.ts'];

module.exports = {
  projects: [
    { ...shared, displayName: 'parallel', testMatch: TEST_FILES, testPathIgnorePatterns: SERIAL },
    {
      ...shared,
      displayName: 'serial',
      testMatch: SERIAL.map((dir) => `${dir}**/*.e2e-spec.ts`),
    },
  ],
  // A global option: jest ignores it inside a project.
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/slowest-files-reporter.cjs'],
};
