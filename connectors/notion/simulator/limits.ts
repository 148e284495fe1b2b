// Notion's request limit: an average of three requests per second per integration, with short
// bursts allowed, plus a per-workspace limit shared by every integration (vendor-apis §3.7 [D]; the
// burst size is not published). Modelled as token buckets: each token (integration) has one of
// `burst` requests refilled at `perSecond`; the workspace has another when configured. A request
// that finds its bucket empty is answered 429 `rate_limited` with the whole seconds until a request
// would be admitted in `Retry-After`, and `additional_data.rate_limit_reason` naming the limit.

export interface RateLimitConfig {
  /** Average requests per second. */
  perSecond: number;
  /** Requests that may arrive at once after a quiet spell. */
  burst: number;
}

/** 3 requests/s (Notion's documented average) with bursts of 10 (the simulator's choice). */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = { perSecond: 3, burst: 10 };

export function checkRateLimit(config: RateLimitConfig | null, path: string): RateLimitConfig | null {
  if (config === null) return null;
  if (!(Number.isFinite(config.perSecond) && config.perSecond > 0)) throw new RangeError(`${path}.perSecond: expected a positive number, got ${String(config.perSecond)}`);
  if (!(Number.isInteger(config.burst) && config.burst >= 1)) throw new RangeError(`${path}.burst: expected an integer ≥ 1, got ${String(config.burst)}`);
  return { perSecond: config.perSecond, burst: config.burst };
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(public config: RateLimitConfig | null) {}

  /** Takes one request from `key`'s bucket: 0 when admitted, else the whole seconds to wait (≥ 1). */
  take(key: string, now: number): number {
    const c = this.config;
    if (c === null) return 0;
    const b = this.buckets.get(key) ?? { tokens: c.burst, at: now };
    b.tokens = Math.min(c.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * c.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / c.perSecond));
  }

  reset(): void {
    this.buckets.clear();
  }
}
