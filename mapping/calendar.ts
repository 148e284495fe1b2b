// Business days in the workspace's time zone (stageline.yaml `workspace.timezone` and
// `workspace.calendar`), for review SLAs (mapping/rules.ts). Pure: no I/O, no clock; the zone's rules
// come from Intl (the ICU data Node ships), so no date library is needed.
//
// The model: a working day is a local calendar date whose weekday is in `workdays` and which is not a
// holiday. It holds 24 hours of business time, counted on the wall clock from 00:00 to 24:00 local.
// Counting on the wall clock (not in elapsed milliseconds) is what keeps "3 business days from Friday
// 14:00" at Wednesday 14:00 when the clocks change over the weekend, and what keeps a result on the
// local date it belongs to. Non-working days hold no business time.
import { z } from 'zod';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export const Weekday = z.enum(WEEKDAYS);
export type Weekday = z.infer<typeof Weekday>;

/** `workspace.calendar`: the working week and the holidays (local dates), Mon–Fri and none by default. */
export const CalendarConfig = z.strictObject({
  workdays: z.array(Weekday).min(1, 'at least one working day').default(['mon', 'tue', 'wed', 'thu', 'fri']),
  holidays: z.array(z.iso.date()).default([]),
});
export type CalendarConfig = z.infer<typeof CalendarConfig>;

export const DEFAULT_CALENDAR: CalendarConfig = { workdays: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: [] };

const DAY_MS = 86_400_000;

/**
 * The instant `days` business days after `start`. A start on a non-working day counts from the next
 * working day's 00:00 local. A fraction of a day is that fraction of 24 wall-clock hours, counted only
 * on working days (0.5 from Friday 18:00 is Monday 06:00). When the time runs out exactly at the end
 * of a working day, the result is that day's 24:00 (the next local midnight), not the start of the
 * next working day: the earliest instant the time is spent. A local time the clocks skip (spring
 * forward) moves forward by the gap; one they repeat (fall back) is the earlier of the two.
 */
export function addBusinessDays(start: Date, days: number, tz: string, cal: CalendarConfig): Date {
  if (!Number.isFinite(days) || days < 0) throw new RangeError(`addBusinessDays: days must be a finite number ≥ 0 (got ${days})`);
  const c = compiled(cal);
  const zone = zoneOf(tz);
  let { day, wallMs } = zone.local(start.getTime());
  if (!c.isWorking(day)) {
    day = c.nextWorking(day);
    wallMs = 0;
  }
  const total = wallMs + Math.round(days * DAY_MS);
  const k = Math.floor(total / DAY_MS);
  const rest = total - k * DAY_MS;
  if (rest === 0 && k >= 1) return new Date(zone.instant(c.advance(day, k - 1) + 1, 0));
  return new Date(zone.instant(c.advance(day, k), rest));
}

/**
 * The business time from `a` to `b`, in days (fractional; negative when `b` is before `a`), counted
 * as addBusinessDays counts it: for a start on a working day, businessDaysBetween(a, addBusinessDays(a, n)) = n.
 */
export function businessDaysBetween(a: Date, b: Date, tz: string, cal: CalendarConfig): number {
  if (b.getTime() < a.getTime()) return -businessDaysBetween(b, a, tz, cal);
  const c = compiled(cal);
  const zone = zoneOf(tz);
  const la = zone.local(a.getTime());
  const lb = zone.local(b.getTime());
  const ms = c.workingDaysIn(la.day, lb.day) * DAY_MS - (c.isWorking(la.day) ? la.wallMs : 0) + (c.isWorking(lb.day) ? lb.wallMs : 0);
  return ms / DAY_MS;
}

/** Whether a local date (`YYYY-MM-DD`) is a working day under the calendar. */
export function isWorkingDate(date: string, cal: CalendarConfig): boolean {
  return compiled(cal).isWorking(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS);
}

// ------------------------------------------------------------------------------ calendar

interface CompiledCalendar {
  /** `day`: a local date as days since 1970-01-01. */
  isWorking(day: number): boolean;
  /** The first working day after `day`. */
  nextWorking(day: number): number;
  /** The k-th working day after `day` (a working day); `day` itself for k = 0. */
  advance(day: number, k: number): number;
  /** Working days in [from, to). */
  workingDaysIn(from: number, to: number): number;
}

const calendars = new WeakMap<CalendarConfig, CompiledCalendar>();

function compiled(cal: CalendarConfig): CompiledCalendar {
  const hit = calendars.get(cal);
  if (hit) return hit;
  const workdays = new Set(cal.workdays.map((w) => WEEKDAYS.indexOf(w)));
  if (workdays.size === 0 || workdays.has(-1)) throw new RangeError(`calendar: workdays must name at least one day of ${WEEKDAYS.join(', ')}`);
  const holidays = new Set(cal.holidays);
  const isWorking = (day: number): boolean => {
    const d = new Date(day * DAY_MS);
    return workdays.has(d.getUTCDay()) && !holidays.has(d.toISOString().slice(0, 10));
  };
  // Holidays are finitely many and at least one weekday works, so a working day is always near.
  const nextWorking = (day: number): number => {
    let d = day + 1;
    while (!isWorking(d)) d++;
    return d;
  };
  const c: CompiledCalendar = {
    isWorking,
    nextWorking,
    advance: (day, k) => {
      let d = day;
      for (let i = 0; i < k; i++) d = nextWorking(d);
      return d;
    },
    workingDaysIn: (from, to) => {
      let n = 0;
      for (let d = from; d < to; d++) if (isWorking(d)) n++;
      return n;
    },
  };
  calendars.set(cal, c);
  return c;
}

// ---------------------------------------------------------------------------------- zones

interface Zone {
  /** The local date (days since 1970-01-01) and wall-clock time (ms since local midnight) of an instant. */
  local(t: number): { day: number; wallMs: number };
  /** The instant of a local date and wall-clock time. */
  instant(day: number, wallMs: number): number;
}

const zones = new Map<string, Zone>();

function zoneOf(tz: string): Zone {
  const hit = zones.get(tz);
  if (hit) return hit;
  // Throws a RangeError for an unknown zone (config validation reports it first).
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  /** The instant's local wall-clock time, read as if it were UTC, in ms. */
  const localMs = (t: number): number => {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const ms = ((t % 1000) + 1000) % 1000;
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + ms;
  };
  const offset = (t: number): number => localMs(t) - t;
  const zone: Zone = {
    local: (t) => {
      const l = localMs(t);
      const day = Math.floor(l / DAY_MS);
      return { day, wallMs: l - day * DAY_MS };
    },
    instant: (day, wallMs) => {
      const l = day * DAY_MS + wallMs;
      // A zone changes its offset at most once within a day either side: try both offsets.
      const before = offset(l - DAY_MS);
      const after = offset(l + DAY_MS);
      const fits = [l - before, l - after].filter((t) => localMs(t) === l);
      // Repeated (fall back): the earlier instant. Skipped (spring forward): forward by the gap.
      return fits.length ? Math.min(...fits) : l - before;
    },
  };
  zones.set(tz, zone);
  return zone;
}
