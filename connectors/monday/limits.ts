// monday's two budgets that a request rate cannot express, kept by the client itself: the complexity
// budget per minute (every answer says what is left and when it resets) and the account's daily call
// cap (reset at 00:00 UTC). The decisions are pure functions of the state and the clock, so they are
// tested without a server; the classes only hold the state (vendor-apis.md §2.7, engineering-facts §7.2).
import { ConnectorError } from '../types';
import { COMPLEXITY, DAILY_CALLS, FIRST_PAGE_LIMIT, manifest, type MondayPlan } from './manifest';

// ---- complexity ----------------------------------------------------------------------------------

/** What an answer's `complexity { before after query reset_in_x_seconds }` says. */
export interface ComplexityReading {
  before: number;
  after: number;
  query: number;
  reset_in_x_seconds: number;
}

export interface BudgetState {
  /** The budget per window (points per minute). */
  limit: number;
  /** Points left after the last answer; null before any answer (nothing known: nothing to wait for). */
  left: number | null;
  /** When the window resets (epoch ms); null before any answer. */
  resetAt: number | null;
  /** Points of requests sent and not answered yet (concurrent requests of the same credential). */
  reserved: number;
}

/**
 * Pure: how long a query expected to cost `cost` points must wait before it is sent (ms, 0 = now).
 * Nothing known, or the window already reset: 0. Enough left after what is in flight: 0. Otherwise
 * until the reset. A cost above the whole window's budget can never fit by waiting: 0, and monday's
 * answer decides (the client refuses queries over the per-query cap before they get here).
 */
export function budgetWait(s: BudgetState, cost: number, now: number): number {
  if (s.left === null || s.resetAt === null) return 0;
  if (now >= s.resetAt) return 0;
  if (cost > s.limit) return 0;
  if (cost <= s.left - s.reserved) return 0;
  return s.resetAt - now;
}

/**
 * The complexity budget of one credential (one per budget: personal tokens have one for reads and
 * writes together, app tokens one each). Share it between every client and writer of the credential,
 * like its RateLimiter.
 */
export class ComplexityBudget {
  private left: number | null = null;
  private resetAt: number | null = null;
  private reserved = 0;

  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new RangeError(`ComplexityBudget: the limit must be positive, got ${limit}`);
  }

  state(): BudgetState {
    return { limit: this.limit, left: this.left, resetAt: this.resetAt, reserved: this.reserved };
  }

  waitMs(cost: number, now: number): number {
    return budgetWait(this.state(), cost, now);
  }

  /** A request of `cost` expected points is on its way. */
  reserve(cost: number): void {
    this.reserved += Math.max(0, cost);
  }

  /** Its answer (or failure) came back. */
  release(cost: number): void {
    this.reserved = Math.max(0, this.reserved - Math.max(0, cost));
  }

  /** An answer's reading: what is left and when the window resets. */
  observe(c: Pick<ComplexityReading, 'after' | 'reset_in_x_seconds'>, now: number): void {
    this.left = c.after;
    this.resetAt = now + Math.max(0, c.reset_in_x_seconds) * 1000;
  }

  /**
   * monday said the budget is exhausted and when to try again (`retry_in_seconds`, or `Retry-After`):
   * nothing is left until `untilMs`, and then the budget is unknown until the next answer says. The
   * vendor's wait replaces what an earlier answer said (its reset may be up to a minute away while
   * monday's own window frees points sooner), so the next query waits what monday said, not longer.
   */
  exhaust(untilMs: number): void {
    this.left = 0;
    this.resetAt = untilMs;
  }
}

/** The per-minute budget of a token (vendor-apis.md §2.7). */
export function complexityPerMinute(token: 'personal' | 'app', plan: MondayPlan): { read: number; write: number; shared: boolean } {
  if (token === 'app') return { read: COMPLEXITY.appReadsPerMinute, write: COMPLEXITY.appWritesPerMinute, shared: false };
  const n = plan === 'free' || plan === 'trial' ? COMPLEXITY.personalTrialPerMinute : COMPLEXITY.personalPerMinute;
  return { read: n, write: n, shared: true };
}

/**
 * Pure: the largest `items_page` limit whose query stays within one query's cap and one window's
 * budget, with 10% headroom (monday's static estimate and ours differ by the query's fixed part),
 * between 1 and `max` (500). Without a known per-item cost: FIRST_PAGE_LIMIT, after which the answer's
 * `complexity.query` teaches the cost.
 */
export function chooseItemsLimit(perItemCost: number | null, opts: { perMinute: number; perQuery?: number; max?: number; first?: number }): number {
  const max = opts.max ?? manifest.pageSize.max;
  if (perItemCost === null || !(perItemCost > 0)) return Math.min(max, opts.first ?? FIRST_PAGE_LIMIT);
  const cap = Math.min(opts.perQuery ?? COMPLEXITY.perQuery, opts.perMinute) * 0.9;
  return Math.max(1, Math.min(max, Math.floor(cap / perItemCost)));
}

// ---- the daily call cap ----------------------------------------------------------------------------

/** A day's count as the caller stores it (per monday account: every token of the account shares it). */
export interface DailyUsage {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  used: number;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The next 00:00 UTC after `ms` (epoch ms). */
export function nextUtcMidnight(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/**
 * The daily call cap was reached: by our own count (`source: 'client'`, nothing was sent) or by
 * monday's answer `DAILY_LIMIT_EXCEEDED` (`source: 'vendor'`). A `rate_limited` ConnectorError whose
 * `retryAfterMs` reaches the reset, so a retry policy that honours it resumes on time; a sync can also
 * catch it, commit what it has and sleep until `resumeAt`.
 */
export class DailyCapReached extends ConnectorError {
  constructor(
    readonly resumeAt: string,
    readonly cap: number,
    readonly used: number,
    readonly source: 'client' | 'vendor',
    now: number,
    vendorMessage?: string,
  ) {
    super(
      'rate_limited',
      source === 'client'
        ? `monday.com daily call cap reached: ${used} of ${cap} calls used today (UTC); no call sent; resumes at ${resumeAt}`
        : `monday.com DAILY_LIMIT_EXCEEDED: the account's daily call limit is spent${vendorMessage ? ` (${vendorMessage})` : ''}; resumes at ${resumeAt}`,
      { retryAfterMs: Math.max(0, Math.ceil(Date.parse(resumeAt) - now)), ...(vendorMessage ? { vendorMessage } : {}) },
    );
    this.name = 'DailyCapReached';
  }
}

/**
 * The account's daily call count against its cap. Every request sent counts as one (monday counts
 * rate-limited requests as a tenth and very complex ones as more [U]; one each is the safe side).
 * `reserveForWrites` calls are kept back from reads, so that a read-heavy day still leaves room for
 * write-back. The state is the caller's to persist (`toJSON`, the constructor's `usage`).
 */
export class DailyCallCap {
  private day: string;
  private used: number;

  constructor(
    readonly cap: number,
    usage: DailyUsage | null = null,
    private readonly opts: { reserveForWrites?: number; now?: number } = {},
  ) {
    if (!(Number.isInteger(cap) && cap > 0)) throw new RangeError(`DailyCallCap: the cap must be a positive integer, got ${cap}`);
    const today = utcDay(opts.now ?? Date.now());
    this.day = usage?.day ?? today;
    this.used = usage && Number.isInteger(usage.used) && usage.used > 0 ? usage.used : 0;
  }

  static forPlan(plan: MondayPlan, usage: DailyUsage | null = null, opts: { reserveForWrites?: number; now?: number } = {}): DailyCallCap {
    return new DailyCallCap(DAILY_CALLS[plan], usage, opts);
  }

  private roll(now: number): void {
    const today = utcDay(now);
    if (today !== this.day) {
      this.day = today;
      this.used = 0;
    }
  }

  /** Calls left today for reads (the write reserve held back) or writes. */
  callsLeftToday(now: number, kind: 'read' | 'write' = 'read'): number {
    this.roll(now);
    const limit = kind === 'write' ? this.cap : this.cap - Math.min(this.cap, this.opts.reserveForWrites ?? 0);
    return Math.max(0, limit - this.used);
  }

  /** When the count resets (ISO, 00:00 UTC). */
  resetsAt(now: number): string {
    return new Date(nextUtcMidnight(now)).toISOString();
  }

  /** Counts one call, or throws DailyCapReached (nothing counted, nothing to send). */
  take(kind: 'read' | 'write', now: number): void {
    if (this.callsLeftToday(now, kind) <= 0) throw new DailyCapReached(this.resetsAt(now), this.cap, this.used, 'client', now);
    this.used++;
  }

  /** monday answered DAILY_LIMIT_EXCEEDED: the day is spent whatever our count said. */
  exhausted(now: number): void {
    this.roll(now);
    this.used = Math.max(this.used, this.cap);
  }

  toJSON(): DailyUsage & { cap: number } {
    return { day: this.day, used: this.used, cap: this.cap };
  }
}
