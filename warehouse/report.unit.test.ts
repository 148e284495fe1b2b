// The report's period arithmetic, input validation and number formatting (pure; the numbers
// themselves are checked against SQL in test/integration/report.integration.test.ts).
import { describe, expect, it } from 'vitest';
import { parseConfig, ConfigError } from '../mapping/config';
import { localDate, resolvePeriod } from '../activities/report';
import { lastFullWeek, parseDate, periods, ReportInputError, snapshotDay } from './report-data';
import { formatChange, formatValue } from './report-html';

describe('report periods', () => {
  it('the previous period is the same number of days just before, both ends included', () => {
    expect(periods('2026-11-09', '2026-11-15')).toEqual({ current: { from: '2026-11-09', to: '2026-11-15', days: 7 }, previous: { from: '2026-11-02', to: '2026-11-08', days: 7 } });
    // Across a month end and a leap day.
    expect(periods('2028-03-01', '2028-03-31').previous).toEqual({ from: '2028-01-30', to: '2028-02-29', days: 31 });
    expect(periods('2026-11-15', '2026-11-15').previous).toEqual({ from: '2026-11-14', to: '2026-11-14', days: 1 });
  });

  it('the default is the last full Monday–Sunday week; one date alone gives the week from or to it', () => {
    expect(lastFullWeek('2026-11-25')).toEqual({ from: '2026-11-16', to: '2026-11-22' }); // a Wednesday
    expect(lastFullWeek('2026-11-23')).toEqual({ from: '2026-11-16', to: '2026-11-22' }); // a Monday
    expect(lastFullWeek('2026-11-22')).toEqual({ from: '2026-11-09', to: '2026-11-15' }); // a Sunday: that week is not over
    expect(resolvePeriod({}, '2026-11-25')).toEqual({ from: '2026-11-16', to: '2026-11-22' });
    expect(resolvePeriod({ from: '2026-10-01' }, '2026-11-25')).toEqual({ from: '2026-10-01', to: '2026-10-07' });
    expect(resolvePeriod({ to: '2026-10-07' }, '2026-11-25')).toEqual({ from: '2026-10-01', to: '2026-10-07' });
  });

  it('"today" is the date in the workspace time zone', () => {
    const at = new Date('2026-11-22T23:30:00Z');
    expect(localDate(at, 'UTC')).toBe('2026-11-22');
    expect(localDate(at, 'Europe/Berlin')).toBe('2026-11-23');
    expect(localDate(at, 'America/Los_Angeles')).toBe('2026-11-22');
  });

  it('the period-end state is read at the last snapshot the warehouse keeps on or before the end', () => {
    expect(snapshotDay('2026-11-15', '2026-11-25')).toBe('2026-11-15'); // a Sunday
    expect(snapshotDay('2026-11-18', '2026-11-25')).toBe('2026-11-15'); // a Wednesday: the Sunday before
    expect(snapshotDay('2026-11-30', '2026-11-25')).toBe('2026-11-25'); // past the refresh: the refresh's day
  });

  it('bad dates and periods are refused naming the option', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ReportInputError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(() => parseDate('2026-02-30', '--from'))).toBe('--from: "2026-02-30" is not a calendar date');
    expect(err(() => parseDate('25/11/2026', '--to'))).toBe('--to: "25/11/2026" is not a date (use YYYY-MM-DD)');
    expect(err(() => periods('2026-03-08', '2026-03-01'))).toBe('--from: 2026-03-08 is after --to 2026-03-01');
    expect(err(() => periods('2025-01-01', '2026-03-01'))).toBe('--to: the period 2025-01-01 – 2026-03-01 is 425 days; a report covers at most 366');
    expect(err(() => resolvePeriod({ from: '2026-1-5' }, '2026-11-25'))).toBe('--from: "2026-1-5" is not a date (use YYYY-MM-DD)');
  });
});

describe('report formatting', () => {
  it('shows rates in percent, changes in points, and says whether a change is good news', () => {
    expect(formatValue('on_time_rate', 0.7273)).toBe('72.7 %');
    expect(formatValue('cycle_time_p50_days', 18.25)).toBe('18.3 d');
    expect(formatValue('delivered', 1234)).toBe('1,234');
    expect(formatValue('first_pass_rate', null)).toBe('—');
    expect(formatChange('on_time_rate', 0.7273, 0.8387)).toEqual({ text: '▼ 11.1 pp', tone: 'bad' });
    expect(formatChange('cycle_time_p50_days', 16.6, 18.3)).toEqual({ text: '▼ 1.7 d', tone: 'good' });
    expect(formatChange('delivered', 46, 37)).toEqual({ text: '▲ 9 (+24 %)', tone: 'good' });
    expect(formatChange('overdue_wip', 3, 3)).toEqual({ text: 'no change', tone: 'flat' });
    expect(formatChange('first_pass_rate', 0.5, null)).toEqual({ text: 'no earlier figure', tone: 'none' });
  });
});

describe('stageline.yaml reports', () => {
  const base = `connections:\n  - id: a\n    vendor: asana\n    token: \${T}\n    workspace: "1"\n    stage: { map: { Brief: brief } }\n`;
  it('defaults: folder "reports", no weekly schedule; weekly defaults to Monday 07:00', () => {
    expect(parseConfig(base, { T: 'x' }).reports).toEqual({ folder: 'reports' });
    expect(parseConfig(`${base}reports: { weekly: {} }\n`, { T: 'x' }).reports.weekly).toEqual({ day: 'monday', at: '07:00', paused: false });
  });
  it('a bad day or time is reported at its path', () => {
    try {
      parseConfig(`${base}reports:\n  weekly: { day: mondays, at: "25:00" }\n`, { T: 'x' });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issues = (e as ConfigError).issues.map((i) => [i.path.join('.'), i.message]);
      expect(issues.map((i) => i[0]).sort()).toEqual(['reports.weekly.at', 'reports.weekly.day']);
      expect(issues.find((i) => i[0] === 'reports.weekly.at')![1]).toBe('a 24-hour time such as 07:00');
    }
  });
});
