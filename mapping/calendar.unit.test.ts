import { describe, expect, it } from 'vitest';
import { addBusinessDays, businessDaysBetween, CalendarConfig, DEFAULT_CALENDAR, isWorkingDate } from './calendar';

const weekdays = DEFAULT_CALENDAR;
const everyDay: CalendarConfig = { workdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], holidays: [] };
const sundayToThursday: CalendarConfig = { workdays: ['sun', 'mon', 'tue', 'wed', 'thu'], holidays: [] };
const christmas: CalendarConfig = { workdays: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2026-12-25', '2026-12-28'] };
const add = (start: string, days: number, tz: string, cal: CalendarConfig = weekdays) => addBusinessDays(new Date(start), days, tz, cal).toISOString();

describe('addBusinessDays: deadlines a PM can check on a calendar', () => {
  it.each([
    // [what, start, business days, zone, calendar, deadline]
    ['within the week', '2026-10-06T14:00:00.000Z', 2, 'UTC', weekdays, '2026-10-08T14:00:00.000Z'],
    ['across a weekend: Friday 14:00 + 1 is Monday 14:00', '2026-10-09T14:00:00.000Z', 1, 'UTC', weekdays, '2026-10-12T14:00:00.000Z'],
    ['across a weekend: Thursday 10:00 + 3 is Tuesday 10:00', '2026-10-08T10:00:00.000Z', 3, 'UTC', weekdays, '2026-10-13T10:00:00.000Z'],
    ['a start on Saturday counts from Monday 00:00', '2026-10-10T15:00:00.000Z', 1, 'UTC', weekdays, '2026-10-13T00:00:00.000Z'],
    ['across a holiday: Thursday 24 Dec + 1 skips Christmas and the weekend', '2026-12-24T09:00:00.000Z', 1, 'UTC', christmas, '2026-12-29T09:00:00.000Z'],
    ['a start on a holiday counts from the next working day', '2026-12-25T12:00:00.000Z', 0.5, 'UTC', christmas, '2026-12-29T12:00:00.000Z'],
    ['fractional: half a day from Friday 18:00 is Monday 06:00', '2026-10-09T18:00:00.000Z', 0.5, 'UTC', weekdays, '2026-10-12T06:00:00.000Z'],
    ['fractional: 1.5 days from Monday 00:00 is Tuesday 12:00', '2026-10-05T00:00:00.000Z', 1.5, 'UTC', weekdays, '2026-10-06T12:00:00.000Z'],
    ['fractional: a quarter of a day is 6 hours', '2026-10-05T09:00:00.000Z', 0.25, 'UTC', weekdays, '2026-10-05T15:00:00.000Z'],
    ['time running out at midnight ends that working day (Friday 24:00), not Monday', '2026-10-09T00:00:00.000Z', 1, 'UTC', weekdays, '2026-10-10T00:00:00.000Z'],
    ['a custom week (Sunday to Thursday)', '2026-10-08T10:00:00.000Z', 1, 'UTC', sundayToThursday, '2026-10-11T10:00:00.000Z'],
  ] as const)('%s', (_what, start, days, tz, cal, deadline) => {
    expect(add(start, days, tz, cal)).toBe(deadline);
  });

  it('counts in the workspace zone: 23:30 UTC on Friday is Saturday 00:30 in Berlin, so Berlin counts from Monday', () => {
    const friNight = '2026-11-06T23:30:00.000Z';
    // Berlin (CET, UTC+1): Saturday 00:30 local → Monday 00:00 local + 1 day = Tuesday 00:00 local = Monday 23:00 UTC.
    expect(add(friNight, 1, 'Europe/Berlin')).toBe('2026-11-09T23:00:00.000Z');
    // UTC: still Friday, half an hour of it left, then Monday until 23:30.
    expect(add(friNight, 1, 'UTC')).toBe('2026-11-09T23:30:00.000Z');
    const satNoon = new Date('2026-11-07T12:00:00.000Z');
    expect(businessDaysBetween(new Date(friNight), satNoon, 'UTC', weekdays)).toBeCloseTo(0.5 / 24, 9);
    expect(businessDaysBetween(new Date(friNight), satNoon, 'Europe/Berlin', weekdays)).toBe(0);
  });

  it('keeps the local time across the DST change (Europe/London, last Sunday of October)', () => {
    // Friday 23 Oct 2026 14:00 BST (13:00 UTC); clocks go back on Sunday 25 Oct. 1 business day → Monday 14:00 GMT = 14:00 UTC.
    expect(add('2026-10-23T13:00:00.000Z', 1, 'Europe/London')).toBe('2026-10-26T14:00:00.000Z');
    // And in spring (last Sunday of March): Friday 27 Mar 14:00 GMT → Monday 30 Mar 14:00 BST = 13:00 UTC.
    expect(add('2026-03-27T14:00:00.000Z', 1, 'Europe/London')).toBe('2026-03-30T13:00:00.000Z');
    // Counting through the change day itself (a seven-day week): Saturday 23:30 BST + 1 = Sunday 23:30 GMT, still Sunday.
    expect(add('2026-10-24T22:30:00.000Z', 1, 'Europe/London', everyDay)).toBe('2026-10-25T23:30:00.000Z');
    // Half of the 25-hour Sunday is 12:00 on the wall clock (13 elapsed hours after midnight BST).
    expect(add('2026-10-24T23:00:00.000Z', 0.5, 'Europe/London', everyDay)).toBe('2026-10-25T12:00:00.000Z');
    // A wall time the clocks skip (01:30 on 29 Mar) moves forward by the gap.
    expect(add('2026-03-29T00:00:00.000Z', 1.5 / 24, 'Europe/London', everyDay)).toBe('2026-03-29T01:30:00.000Z');
  });

  it('keeps the local date in a zone far from UTC (Pacific/Auckland), across its DST start', () => {
    // Friday 25 Sep 2026 17:00 NZST (05:00 UTC); NZ clocks go forward on Sunday 27 Sep. → Monday 28 Sep 17:00 NZDT = 04:00 UTC.
    expect(add('2026-09-25T05:00:00.000Z', 1, 'Pacific/Auckland')).toBe('2026-09-28T04:00:00.000Z');
  });

  it('refuses a negative or non-finite number of days', () => {
    expect(() => add('2026-10-05T00:00:00.000Z', -1, 'UTC')).toThrow(RangeError);
    expect(() => add('2026-10-05T00:00:00.000Z', Number.NaN, 'UTC')).toThrow(RangeError);
  });
});

describe('businessDaysBetween', () => {
  it.each([
    ['Friday 14:00 → Monday 10:00', '2026-10-09T14:00:00.000Z', '2026-10-12T10:00:00.000Z', weekdays, 20 / 24],
    ['a whole weekend holds no business time', '2026-10-10T00:00:00.000Z', '2026-10-12T00:00:00.000Z', weekdays, 0],
    ['across a holiday', '2026-12-24T09:00:00.000Z', '2026-12-29T09:00:00.000Z', christmas, 1],
    ['backwards is negative', '2026-10-12T10:00:00.000Z', '2026-10-09T14:00:00.000Z', weekdays, -20 / 24],
  ] as const)('%s', (_what, a, b, cal, days) => {
    expect(businessDaysBetween(new Date(a), new Date(b), 'UTC', cal)).toBeCloseTo(days, 9);
  });

  it('inverts addBusinessDays from a working day, whatever the zone, calendar and amount', () => {
    const starts = ['2026-10-23T13:00:00.000Z', '2026-12-23T16:45:00.000Z', '2026-03-27T23:59:00.000Z', '2026-10-09T00:00:00.000Z'];
    for (const tz of ['UTC', 'Europe/London', 'America/New_York', 'Asia/Kolkata']) {
      for (const start of starts) {
        for (const days of [0.25, 0.5, 1, 2.75, 3, 10]) {
          const s = new Date(start);
          if (businessDaysBetween(s, addBusinessDays(s, 0, tz, christmas), tz, christmas) !== 0) continue; // a non-working start
          expect(businessDaysBetween(s, addBusinessDays(s, days, tz, christmas), tz, christmas)).toBeCloseTo(days, 6);
        }
      }
    }
  });
});

describe('calendar config', () => {
  it('defaults to Monday to Friday with no holidays, and names a bad holiday', () => {
    expect(CalendarConfig.parse({})).toEqual(weekdays);
    expect(isWorkingDate('2026-12-25', christmas)).toBe(false);
    expect(isWorkingDate('2026-12-24', christmas)).toBe(true);
    expect(CalendarConfig.safeParse({ holidays: ['25/12/2026'] }).error?.issues[0]?.path).toEqual(['holidays', 0]);
    expect(CalendarConfig.safeParse({ workdays: ['monday'] }).error?.issues[0]?.path).toEqual(['workdays', 0]);
  });
});
