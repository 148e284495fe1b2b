// The complexity budget and the daily call cap, as pure decisions over state and clock: when a query
// waits and how long, how large an items page may be, when the daily cap stops a sync and when it
// resumes, and that the count can be stored and picked up again.
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../types';
import { ComplexityBudget, DailyCallCap, DailyCapReached, budgetWait, chooseItemsLimit, complexityPerMinute, nextUtcMidnight } from './limits';

const T0 = Date.parse('2026-11-25T10:00:00Z');

describe('budgetWait', () => {
  const state = (left: number | null, resetIn: number | null, reserved = 0) => ({ limit: 10_000_000, left, resetAt: resetIn === null ? null : T0 + resetIn, reserved });

  it.each([
    ['nothing known yet (no answer so far)', state(null, null), 5_000_000, 0],
    ['enough left', state(2_000_000, 30_000), 1_500_000, 0],
    ['exactly enough', state(1_500_000, 30_000), 1_500_000, 0],
    ['not enough: until the reset', state(1_000_000, 30_000), 1_500_000, 30_000],
    ['enough, but in-flight requests have reserved it', state(2_000_000, 12_000, 1_000_000), 1_500_000, 12_000],
    ['the window already reset', state(0, -1), 9_000_000, 0],
    ['more than a whole window: waiting cannot help, monday decides', state(0, 30_000), 11_000_000, 0],
  ])('%s', (_title, s, cost, wait) => {
    expect(budgetWait(s, cost, T0)).toBe(wait);
  });
});

describe('ComplexityBudget', () => {
  it('follows each answer, reserves in-flight cost, and after a reported exhaustion waits what monday said', () => {
    const b = new ComplexityBudget(10_000_000);
    expect(b.waitMs(4_000_000, T0)).toBe(0);
    b.observe({ after: 3_000_000, reset_in_x_seconds: 40 }, T0);
    expect(b.waitMs(2_000_000, T0)).toBe(0);
    b.reserve(2_000_000);
    expect(b.waitMs(2_000_000, T0 + 1_000)).toBe(39_000);
    b.release(2_000_000);
    expect(b.waitMs(2_000_000, T0 + 1_000)).toBe(0);
    // monday says "exhausted, retry in 6 s" while the last answer's window resets in 39 s: monday's wait wins.
    b.exhaust(T0 + 7_000);
    expect(b.waitMs(1, T0 + 2_000)).toBe(5_000);
    expect(b.waitMs(2_000_000, T0 + 7_000)).toBe(0);
    // Nothing is known after it until the next answer, which paces again.
    b.observe({ after: 100, reset_in_x_seconds: 50 }, T0 + 7_000);
    expect(b.waitMs(2_000_000, T0 + 8_000)).toBe(49_000);
    expect(() => new ComplexityBudget(0)).toThrow(RangeError);
  });

  it('a personal token has one budget for reads and writes (1M on free and trial); an app token one each', () => {
    expect(complexityPerMinute('personal', 'pro')).toEqual({ read: 10_000_000, write: 10_000_000, shared: true });
    expect(complexityPerMinute('personal', 'free')).toEqual({ read: 1_000_000, write: 1_000_000, shared: true });
    expect(complexityPerMinute('app', 'standard')).toEqual({ read: 5_000_000, write: 5_000_000, shared: false });
  });
});

describe('chooseItemsLimit', () => {
  it.each([
    ['no cost known: the first page is small', null, 10_000_000, 100],
    ['a cheap item: the largest page, 500', 2_000, 10_000_000, 500],
    ['an item with nested updates: what fits 90% of one query (5M)', 30_000, 10_000_000, 150],
    ['a free account: what fits 90% of its 1M minute', 30_000, 1_000_000, 30],
    ['an item over the cap alone: one at a time', 6_000_000, 10_000_000, 1],
  ])('%s', (_t, cost, perMinute, limit) => {
    expect(chooseItemsLimit(cost, { perMinute })).toBe(limit);
  });
});

describe('the daily call cap', () => {
  it('counts calls per UTC day and says when it resets', () => {
    const cap = new DailyCallCap(3, null, { now: T0 });
    expect(cap.callsLeftToday(T0)).toBe(3);
    cap.take('read', T0);
    cap.take('read', T0);
    expect(cap.callsLeftToday(T0)).toBe(1);
    expect(cap.resetsAt(T0)).toBe('2026-11-26T00:00:00.000Z');
    expect(nextUtcMidnight(Date.parse('2026-12-31T23:59:59Z'))).toBe(Date.parse('2027-01-01T00:00:00Z'));
  });

  it('a call that would exceed the cap is not counted, not sent, and says when to resume', () => {
    const cap = new DailyCallCap(2, { day: '2026-11-25', used: 2 }, { now: T0 });
    const err = (() => {
      try {
        cap.take('read', T0);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(DailyCapReached);
    expect(err).toBeInstanceOf(ConnectorError);
    const d = err as DailyCapReached;
    expect(d).toMatchObject({ kind: 'rate_limited', resumeAt: '2026-11-26T00:00:00.000Z', cap: 2, used: 2, source: 'client', name: 'DailyCapReached' });
    expect(d.details.retryAfterMs).toBe(14 * 3600_000);
    expect(d.message).toBe('monday.com daily call cap reached: 2 of 2 calls used today (UTC); no call sent; resumes at 2026-11-26T00:00:00.000Z');
    expect(cap.toJSON()).toEqual({ day: '2026-11-25', used: 2, cap: 2 });
  });

  it('a new UTC day starts from zero; a stored count is picked up again', () => {
    const stored = new DailyCallCap(1000, null, { now: T0 });
    for (let i = 0; i < 640; i++) stored.take('read', T0);
    const again = new DailyCallCap(1000, stored.toJSON(), { now: T0 + 3600_000 });
    expect(again.callsLeftToday(T0 + 3600_000)).toBe(360);
    expect(again.callsLeftToday(Date.parse('2026-11-26T00:00:00Z'))).toBe(1000);
    expect(again.toJSON()).toEqual({ day: '2026-11-26', used: 0, cap: 1000 });
  });

  it('keeps a reserve for write-back: reads stop early, writes may use it', () => {
    const cap = DailyCallCap.forPlan('standard', { day: '2026-11-25', used: 950 }, { reserveForWrites: 50, now: T0 });
    expect(cap.cap).toBe(1000);
    expect(cap.callsLeftToday(T0, 'read')).toBe(0);
    expect(cap.callsLeftToday(T0, 'write')).toBe(50);
    expect(() => cap.take('read', T0)).toThrow(DailyCapReached);
    cap.take('write', T0);
    expect(cap.toJSON().used).toBe(951);
  });

  it('monday saying DAILY_LIMIT_EXCEEDED spends the day whatever our count said', () => {
    const cap = DailyCallCap.forPlan('pro', { day: '2026-11-25', used: 12 }, { now: T0 });
    cap.exhausted(T0);
    expect(cap.callsLeftToday(T0)).toBe(0);
    expect(DailyCallCap.forPlan('free').cap).toBe(200);
    expect(DailyCallCap.forPlan('enterprise').cap).toBe(25_000);
    expect(() => new DailyCallCap(0)).toThrow(RangeError);
  });
});
