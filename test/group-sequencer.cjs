const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/**
 * Jest's order (failed first, then the longest by the last run's times), except for the group files
 * (test/.groups/, see jest.config.cjs): their members change from run to run as the groups are balanced again,
 * so a group weighs what jest.config.cjs expects its members to take (its `// weight:` line), or on a first run
 * what its members weigh in bytes, not what a group of the same name took last time: the longest groups start
 * first, so none is left to run alone at the end.
 */
class GroupSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const failed = sorted.filter((test) => this.hasFailed(test));
    const rest = sorted.filter((test) => !this.hasFailed(test));
    const groups = rest
      .map((test) => ({ test, weight: groupWeight(test.path) }))
      .filter(({ weight }) => weight !== undefined)
      .sort((a, b) => b.weight - a.weight)
      .map(({ test }) => test);
    const others = rest.filter((test) => !groups.includes(test));
    const untimed = others
      .filter((test) => test.duration == null)
      .sort((a, b) => fileSize(b.path) - fileSize(a.path));
    return [...failed, ...groups, ...untimed, ...others.filter((test) => test.duration != null)];
  }
}

/** A group's expected time, else the size of its members together; undefined for a file that is no group. */
function groupWeight(file) {
  const root = path.join(__dirname, '..');
  try {
    const text = readFileSync(file, 'utf8');
    const weight = /^\/\/ weight: (\d+)$/m.exec(text);
    if (weight) return Number(weight[1]);
    const listed = /^\/\/ members: (.*)$/m.exec(text);
    if (!listed) return undefined;
    return JSON.parse(listed[1]).reduce((sum, member) => sum + fileSize(path.join(root, member)), 0);
  } catch {
    return undefined;
  }
}

function fileSize(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

module.exports = GroupSequencer;
