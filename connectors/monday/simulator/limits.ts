// monday's limits, per account unless noted: the complexity budget per minute (per token; app
// tokens have separate read and write budgets), the cap per query, the daily call counter (reset at
// 00:00 UTC; a rate-limited call and a complexity-only query count 0.1), the minute request limit
// and the concurrency limit. Times come from the store's clock.

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface LimitsConfig {
  /** Personal tokens: reads and writes together. monday: 10,000,000 (1,000,000 on free and trial plans). */
  complexityPerMinute: number;
  /** App tokens: reads and writes each. monday: 5,000,000. */
  appReadPerMinute: number;
  appWritePerMinute: number;
  /** monday: 5,000,000 points per query. */
  maxQueryComplexity: number;
  /** Calls per day (Free 200, Basic/Standard 1,000, Pro 10,000, Enterprise 25,000); null = no cap. */
  dailyLimit: number | null;
  /** Requests per minute per account; null = no limit. */
  rateLimitPerMinute: number | null;
  /** Requests in flight per account; null = no limit. */
  maxConcurrency: number | null;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  complexityPerMinute: 10_000_000,
  appReadPerMinute: 5_000_000,
  appWritePerMinute: 5_000_000,
  maxQueryComplexity: 5_000_000,
  dailyLimit: null,
  rateLimitPerMinute: null,
  maxConcurrency: null,
};

export interface BudgetState {
  limit: number;
  before: number;
  resetInSeconds: number;
}

export class Limits {
  config: LimitsConfig;
  private readonly budgets = new Map<string, { start: number; used: number }>();
  private requests: number[] = [];
  private head = 0;
  private daily = { day: -1, tenths: 0 };
  inFlight = 0;
  /** When a root `items` query with more than 100 ids last ran (monday: once per 2 minutes). */
  bigItemsQueryAt = -Infinity;

  constructor(config: Partial<LimitsConfig> = {}) {
    this.config = { ...DEFAULT_LIMITS, ...config };
  }

  /**
   * The budget a query is charged against: one window per key, starting at its first charge and
   * restoring the whole budget 60 seconds later (`reset_in_x_seconds`).
   */
  budget(key: string, limit: number, now: number): BudgetState {
    const w = this.budgets.get(key);
    if (!w || now - w.start >= MINUTE) return { limit, before: limit, resetInSeconds: 60 };
    return { limit, before: Math.max(0, limit - w.used), resetInSeconds: Math.max(1, Math.ceil((w.start + MINUTE - now) / 1000)) };
  }

  charge(key: string, cost: number, now: number): void {
    let w = this.budgets.get(key);
    if (!w || now - w.start >= MINUTE) {
      w = { start: now, used: 0 };
      this.budgets.set(key, w);
    }
    w.used += cost;
  }

  resetBudgets(): void {
    this.budgets.clear();
  }

  /** Sliding 60-second window of requests; every request counts, rejected ones too. Returns seconds to wait, or 0. */
  admitRequest(now: number): number {
    while (this.head < this.requests.length && (this.requests[this.head] as number) <= now - MINUTE) this.head++;
    if (this.head > 4096 && this.head * 2 > this.requests.length) {
      this.requests = this.requests.slice(this.head);
      this.head = 0;
    }
    this.requests.push(now);
    const limit = this.config.rateLimitPerMinute;
    if (limit === null || this.requests.length - this.head <= limit) return 0;
    // The wait until the oldest request in the window leaves it, making room for one more.
    const oldest = this.requests[this.requests.length - 1 - limit] as number;
    return Math.max(1, Math.ceil((oldest + MINUTE - now) / 1000));
  }

  private roll(now: number): void {
    const day = Math.floor(now / DAY);
    if (day !== this.daily.day) this.daily = { day, tenths: 0 };
  }

  /** Calls counted today, in calls (0.1 steps). */
  dailyCalls(now: number): number {
    this.roll(now);
    return this.daily.tenths / 10;
  }

  countCall(now: number, tenths: number): void {
    this.roll(now);
    this.daily.tenths += tenths;
  }

  dailyExhausted(now: number): boolean {
    const cap = this.config.dailyLimit;
    return cap !== null && this.dailyCalls(now) >= cap;
  }

  secondsToMidnight(now: number): number {
    return Math.max(1, Math.ceil((Math.floor(now / DAY) * DAY + DAY - now) / 1000));
  }

  resetDaily(): void {
    this.daily = { day: -1, tenths: 0 };
  }
}
