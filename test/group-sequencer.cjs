const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/**
 * Jest's order (failed first, then the longest by the last run's times), except that a group file
 * (test/.groups/, see jest.config.cjs) with no time yet weighs what its members weigh, not its own few lines:
 * on a first run the heaviest groups start first, so none is left to run alone at the end.
 */
class GroupSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const failed = sorted.filter((test) => this.hasFailed(test));
    const rest = sorted.filter((test) => !this.hasFailed(test));
    const untimed = rest
      .filter((test) => test.duration == null)
      .map((test) => ({ test, weight: membersSize(test.path) }))
      .sort((a, b) => b.weight - a.weight)
      .map(({ test }) => test);
    return [...failed, ...untimed, ...rest.filter((test) => test.duration != null)];
  }
}

/** The size of a group's members together; of any other file, its own. */
function membersSize(file) {
  const root = path.join(__dirname, '..');
  try {
    const listed = /^\/\/ members: (.*)$/m.exec(readFileSync(file, 'utf8'));
    if (!listed) return statSync(file).size;
    return JSON.parse(listed[1]).reduce((sum, member) => sum + statSync(path.join(root, member)).size, 0);
  } catch {
    return 0;
  }
}

module.exports = GroupSequencer;
