const { existsSync, readFileSync, rmSync } = require('node:fs');

/**
 * Prints the slowest test files after a run, with the CPU time their test process spent on each (noted by
 * test/cpu-environment.cjs in the file global setup names), so the files worth speeding up are named.
 */
class SlowestFilesReporter {
  constructor(_globalConfig, options = {}) {
    this.count = Number(process.env.SLOWEST_FILES ?? options.count ?? 8);
  }

  onRunComplete(_contexts, results) {
    const cpu = cpuByFile();
    const files = results.testResults
      .map((file) => ({
        path: file.testFilePath,
        seconds: (file.perfStats.end - file.perfStats.start) / 1000,
        cpuSeconds: cpu.get(file.testFilePath),
      }))
      .sort((a, b) => b.seconds - a.seconds);
    if (files.length === 0) return;
    const seconds = (value) => (value === undefined ? '     -' : value.toFixed(1).padStart(6));
    const lines = files
      .slice(0, this.count)
      .map(
        (f) =>
          `  ${seconds(f.seconds)} s ${seconds(f.cpuSeconds)} s  ${f.path.replace(`${process.cwd()}/`, '')}`,
      );
    const totalCpu = [...cpu.values()].reduce((sum, value) => sum + value, 0);
    process.stderr.write(
      `\nSlowest test files (wall, CPU of the test process):\n${lines.join('\n')}\n` +
        `CPU of the test processes over all ${cpu.size} files: ${totalCpu.toFixed(1)} s\n\n`,
    );
  }
}

/** CPU seconds by test file path, from the log the test environment wrote (which is then removed). */
function cpuByFile() {
  const log = process.env.TEST_CPU_LOG;
  const cpu = new Map();
  if (!log || !existsSync(log)) return cpu;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line) continue;
    const { path, cpuMs } = JSON.parse(line);
    cpu.set(path, (cpu.get(path) ?? 0) + cpuMs / 1000);
  }
  rmSync(log, { force: true });
  return cpu;
}

module.exports = SlowestFilesReporter;
