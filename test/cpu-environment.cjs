// The node test environment, noting for each test file the CPU time (user + system) its test process spent on it,
// from the start of the file (its modules loading) to its teardown: the slowest-files reporter prints it beside
// the wall time. Child processes a test starts are not counted.
const { appendFileSync } = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

class CpuTimedEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    this.cpuAtStart = process.cpuUsage();
  }

  async teardown() {
    await super.teardown();
    const log = process.env.TEST_CPU_LOG;
    if (!log) return;
    const { user, system } = process.cpuUsage(this.cpuAtStart);
    appendFileSync(log, `${JSON.stringify({ path: this.testPath, cpuMs: (user + system) / 1000 })}\n`);
  }
}

module.exports = CpuTimedEnvironment;
