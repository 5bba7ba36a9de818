/**
 * The dependency rule of src/ (docs: "Layout: arrows one way"). Run: npx depcruise src
 *
 * Folder names cover both the first layout and the target one, so the rule holds while files move:
 *   plumbing  config, common, platform (database, redis, http plumbing, logging), types
 *   core      engine, definitions, instances, queue, tasks, identity
 *             (first layout: database, http, embedded, forms, jobs without jobs/handlers, auth, users)
 *   features  releases (with its service tasks), camunda-api, monitoring, web
 *             (first layout: notify, cmdb, psl, reports, health, jobs/handlers)
 * Files directly in src/ (main.ts, worker.ts, app.module.ts, worker.module.ts) are the composition root.
 */

const FEATURE =
  '^src/(releases|camunda-api|monitoring|web|notify|cmdb|psl|reports|rollback|health|jobs/handlers)(/|$)';
const CORE =
  '^src/(engine|decisions|definitions|instances|queue|tasks|identity|platform|config|common|database|http|embedded|forms|jobs|auth|users)/';

/**
 * What a module shows the others. Inside a module `x/`: the Nest module, services, DTOs, entities, ports,
 * event contracts, decorators, and an index.ts (a plain library such as engine/ exposes only that).
 * Repositories, controllers, handlers and helpers are its own business.
 */
const PUBLIC_FILE = '(^|/)(index|[^/]+\\.(module|service|dto|entity|port|events|decorators))\\.ts$';
/** Plumbing every module may use in full. */
const PLUMBING = '^src/(config|common|platform|types)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'Folders of src/ depend one way: a cycle between two of them (through any files) means one of them ' +
        'should register with the other (handler, listener, port) instead of importing it. ' +
        'Sub-folders of one feature may lean on each other.',
      scope: 'folder',
      from: { path: '^src/([^/]+)' },
      to: { circular: true, pathNot: '^src/$1(/|$)' },
    },
    {
      name: 'no-file-cycle',
      severity: 'error',
      comment:
        'A file cycle makes load order matter (undefined Nest providers, TDZ errors); type-only ones too.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'engine-is-pure',
      severity: 'error',
      comment:
        'src/engine hosts bpmn-engine, FEEL and DMN: no storage, no Nest, no domain words. It may use ' +
        'plumbing (config, common) and nothing else of src/.',
      from: { path: '^src/engine/' },
      to: { path: '^src/', pathNot: '^src/(engine|config|common|types)/' },
    },
    {
      name: 'engine-without-frameworks',
      severity: 'error',
      comment:
        'No Nest, TypeORM, BullMQ or Redis client in the engine: it is a library the instance service drives.',
      from: { path: '^src/engine/' },
      to: { path: '^node_modules/(@nestjs|typeorm|bullmq|ioredis|pg|@electric-sql)/' },
    },
    {
      name: 'decisions-are-pure',
      severity: 'error',
      comment:
        'src/decisions reads and evaluates DMN: no storage, no Nest (definitions deploys and stores the files). ' +
        'It may use the engine through its index and plumbing, and nothing else of src/.',
      from: { path: '^src/decisions/' },
      to: {
        path: [
          '^src/(?!(decisions|config|common|platform|types)/|engine/index\\.ts$)',
          '^src/platform/(database|embedded|http)/',
          '^node_modules/(@nestjs|typeorm|bullmq|ioredis|pg|@electric-sql)/',
        ],
      },
    },
    {
      name: 'only-engine-imports-bpmn-engine',
      severity: 'error',
      comment: 'The engine folder is the only host of bpmn-engine and bpmn-elements.',
      from: { path: '^src/', pathNot: '^src/engine/' },
      to: { path: '^node_modules/(bpmn-engine|bpmn-elements)/' },
    },
    {
      name: 'core-never-imports-a-feature',
      severity: 'error',
      comment:
        'A feature registers with the core (job handlers, instance listeners, ports); the core never imports ' +
        'a feature. Features: releases and its service tasks, camunda-api, monitoring, web.',
      from: { path: CORE, pathNot: FEATURE },
      to: { path: FEATURE },
    },
    {
      name: 'no-module-internals',
      severity: 'error',
      comment:
        'Use another module through its public files (index.ts, *.module.ts, *.service.ts, *.dto.ts, ' +
        '*.entity.ts, *.port.ts, *.events.ts, *.decorators.ts); its repositories, controllers and helpers ' +
        'are its own. Plumbing (config, common, platform) is public in full.',
      from: { path: '^src/([^/]+)/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', PLUMBING, PUBLIC_FILE],
      },
    },
    {
      name: 'worker-entry-is-lean',
      severity: 'error',
      comment:
        'The worker process runs jobs only: nothing it loads may be a controller, the queue board, monitoring, ' +
        'the pages or the HTTP setup. HTTP surfaces live in *-api modules that only app.module.ts imports.',
      from: { path: '^src/worker(\\.module)?\\.ts$' },
      to: {
        path: [
          '\\.controller\\.ts$',
          '-api\\.module\\.ts$',
          '^src/(monitoring|web)/',
          '^src/(app\\.module|configure-app)\\.ts$',
          '^node_modules/@bull-board/',
        ],
        reachable: true,
      },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    includeOnly: { path: ['^src/', '^node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.cjs', '.mjs', '.json'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      archi: { collapsePattern: '^src/[^/]+' },
      dot: { collapsePattern: 'node_modules/(@[^/]+/[^/]+|[^/]+)' },
    },
  },
};
