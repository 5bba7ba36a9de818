/** Prints the slowest test files after a run, so the files worth speeding up are named. */
class SlowestFilesReporter {
  constructor(_globalConfig, options = {}) {
    this.count = options.count ?? 8;
  }

  onRunComplete(_contexts, results) {
    const files = results.testResults
      .map((file) => ({
        path: file.testFilePath.replace(`${process.cwd()}/`, ''),
        seconds: (file.perfStats.end - file.perfStats.start) / 1000,
      }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, this.count);
    if (files.length === 0) return;
    const lines = files.map((f) => `  ${f.seconds.toFixed(1).padStart(6)} s  ${f.path}`);
    process.stderr.write(`\nSlowest test files:\n${lines.join('\n')}\n\n`);
  }
}

module.exports = SlowestFilesReporter;
