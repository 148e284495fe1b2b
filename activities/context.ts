// What activities are given (STYLE.md §10): no module-level singletons, so tests hand in their own.
import type { Pool } from 'pg';
import type { StagelineConfig } from '../mapping/config';
import type { LimiterRegistry, RateLimiter } from '../connectors/limiter';
import { stableId } from '../mapping/ids';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface ActivityDeps {
  db: Pool;
  /** The current, validated stageline.yaml (secrets already read from the environment). */
  config: () => StagelineConfig;
  limiters: LimiterRegistry;
  clock: () => Date;
  log: Logger;
  /** Heartbeat hook: Temporal's heartbeat inside a worker, a no-op elsewhere. */
  heartbeat?: (details?: unknown) => void;
}

export const consoleLogger: Logger = {
  info: (m, f) => console.log(m, f ?? ''),
  warn: (m, f) => console.warn(m, f ?? ''),
  error: (m, f) => console.error(m, f ?? ''),
};

/**
 * The limiter of a connection's credential: one per (vendor, token), shared by its reads and writes
 * and by every connection that uses the same token, since the vendor counts per token.
 */
export function limiterFor(deps: Pick<ActivityDeps, 'limiters'>, cfg: { vendor: string; token: string; rate_limit_per_minute: number; max_concurrency: number }): RateLimiter {
  return deps.limiters.get(`${cfg.vendor}:${stableId('limiter', 'token', cfg.token)}`, cfg.rate_limit_per_minute, cfg.max_concurrency);
}
