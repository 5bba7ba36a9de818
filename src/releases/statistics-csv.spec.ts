import { statisticsCsv, type OpenStep, type PeriodStatistics } from './release-query.service.js';

const period = (overrides: Partial<PeriodStatistics> = {}): PeriodStatistics => ({
  period: '2025-Q1',
  releases: 2,
  ended: 2,
  successRate: 1,
  rollbackRate: 0,
  emergencyRatio: 0,
  onTimeRate: 0.5,
  meanLeadTimeHours: 36,
  p90LeadTimeHours: 45.6,
  firstPassTestRate: null,
  ...overrides,
});

const step = (overrides: Partial<OpenStep> = {}): OpenStep => ({
  step: 'test-release',
  name: '发布测试',
  releases: 1,
  averageAgeHours: 2.5,
  oldestAgeHours: 4,
  ...overrides,
});

describe('statistics CSV', () => {
  it('writes a header and one row per period, a blank line, then the open steps', () => {
    const csv = statisticsCsv({ periods: [period()], openByStep: [step()] });

    expect(csv.split('\n')).toEqual([
      'period,releases,ended,success_rate,rollback_rate,emergency_ratio,on_time_rate,mean_lead_time_hours,p90_lead_time_hours,first_pass_test_rate',
      '2025-Q1,2,2,1,0,0,0.5,36,45.6,',
      '',
      'open_step,name,releases,average_age_hours,oldest_age_hours',
      'test-release,发布测试,1,2.5,4',
      '',
    ]);
  });

  it.each([
    ['=HYPERLINK("http://evil.example","open")', `"'=HYPERLINK(""http://evil.example"",""open"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
  ])('given a step named %j, the cell is prefixed with a quote so no spreadsheet runs it', (name, cell) => {
    const csv = statisticsCsv({ periods: [], openByStep: [step({ name })] });

    expect(csv).toContain(`\ntest-release,${cell},1,2.5,4\n`);
  });

  it('leaves negative numbers as numbers', () => {
    const csv = statisticsCsv({ periods: [period({ meanLeadTimeHours: -1.5 })], openByStep: [] });

    expect(csv.split('\n')[1]).toBe('2025-Q1,2,2,1,0,0,0.5,-1.5,45.6,');
  });

  it('quotes a cell holding a comma or a quote', () => {
    const csv = statisticsCsv({ periods: [], openByStep: [step({ name: 'Build, "fast"' })] });

    expect(csv).toContain('\ntest-release,"Build, ""fast""",1,2.5,4\n');
  });
});
