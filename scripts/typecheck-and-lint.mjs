// `npm run typecheck` and `npm run lint` in one process, on one TypeScript program: the typed lint rules
// (no-floating-promises, no-misused-promises) need the whole program's types, and building it is most of what
// either command costs. Same checks, same files, same configuration (tsconfig.json, eslint.config.mjs); fails
// when either finds a problem. `npm test` runs this; the two commands stay for use on their own.
//
//   node scripts/typecheck-and-lint.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const started = Date.now();

const host = {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  },
};
const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), { noEmit: true }, host);
if (config.errors.length > 0) {
  report(config.errors);
  process.exit(1);
}
// What `tsc --noEmit -p tsconfig.json` checks, without its incremental state (a clean clone has none).
const program = ts.createProgram({
  rootNames: config.fileNames,
  options: { ...config.options, noEmit: true, incremental: false, tsBuildInfoFile: undefined },
  projectReferences: config.projectReferences,
});
const typeErrors = ts.getPreEmitDiagnostics(program);
report(typeErrors);
console.log(`type check: ${typeErrors.length} errors in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// The lint reads the types from that program instead of building its own.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
});
const results = await eslint.lintFiles(['{src,test,bench}/**/*.ts']);
const formatted = await (await eslint.loadFormatter('stylish')).format(results);
if (formatted) console.log(formatted);
const lintErrors = results.reduce((sum, r) => sum + r.errorCount + r.fatalErrorCount, 0);
console.log(`lint: ${lintErrors} errors; both done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(typeErrors.length > 0 || lintErrors > 0 ? 1 : 0);

function report(diagnostics) {
  if (diagnostics.length === 0) return;
  console.log(
    ts.formatDiagnosticsWithColorAndContext(diagnostics, {
      getCanonicalFileName: (name) => name,
      getCurrentDirectory: () => root,
      getNewLine: () => '\n',
    }),
  );
}
