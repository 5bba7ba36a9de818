import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DEFINITION_LIMITS } from './definition-validator';
import { checkDefinition, type DefinitionCheckOptions } from './definition-check';

/** A timer start event on 2036-01-01T00:00Z: within the default 3650 days from 2026-01-03T00:00Z on, not before. */
const newYear2036 = readFileSync(join(__dirname, 'fixtures', 'new-year-2036.bpmn'), 'utf8');
const BOUND = new Date('2026-01-03T00:00:00Z');

const options: DefinitionCheckOptions = {
  hasHandler: () => true,
  hasForm: () => true,
  limits: DEFAULT_DEFINITION_LIMITS,
  externalJobTypes: 'refuse',
};

/** Only Date is faked: parsing and linting keep their real timers and ticks. */
function fakeSystemTime(at: Date): void {
  jest.useFakeTimers({
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
    now: at,
  });
}

describe('the definition check against the time', () => {
  afterEach(() => jest.useRealTimers());

  it('given a file refused for a timer date more than the bound ahead, when the same file is checked again two minutes later, inside the bound, then it is accepted, not the earlier refusal handed back', async () => {
    fakeSystemTime(new Date(BOUND.getTime() - 60_000));
    const before = await checkDefinition(newYear2036, options);
    expect(before.errors.map((e) => e.field)).toEqual(['at-new-year']);

    jest.setSystemTime(new Date(BOUND.getTime() + 60_000));
    const after = await checkDefinition(newYear2036, options);

    expect(after.errors).toEqual([]);
    expect(after.models.map((m) => m.processId)).toEqual(['new-year-2036']);
  });

  it("given the service clock ahead of the system's, when the file is checked on it, then its timer date is measured from the service clock", async () => {
    fakeSystemTime(new Date(BOUND.getTime() - 86_400_000));
    const serviceClock = () => new Date('2030-06-01T00:00:00Z');

    const checked = await checkDefinition(newYear2036, { ...options, now: serviceClock });

    expect(checked.errors).toEqual([]);
  });
});
