// What every connector shares: the manifest shape (vendor facts as data, STYLE.md §3) and the one
// closed set of connector errors (STYLE.md §7).

export interface IgnoredError {
  status: number;
  code?: string;
  /** Why it is safe to ignore; the occurrence is still counted and reported. */
  reason: string;
}

export interface ConnectorManifest {
  id: string;
  displayName: string;
  baseUrl: string;
  docs: string;
  pageSize: { max: number; default?: number };
  rateLimit: {
    /** Documented request budget per minute per token (the paid tier where tiers differ). */
    perMinute: number;
    /** Documented concurrent in-flight request caps, where published. */
    concurrency?: { read?: number; write?: number };
    /** Where a "slow down" answer says how long to wait. */
    waitFrom: { header: string; unit: 's' | 'ms' };
  };
  /** HTTP statuses with the connector error kind they mean for this vendor. */
  statuses: Record<number, ConnectorErrorKind>;
  ignore: IgnoredError[];
}

export const CONNECTOR_ERROR_KINDS = ['auth_revoked', 'rate_limited', 'vendor_unavailable', 'not_found', 'invalid_config', 'schema_drift'] as const;
export type ConnectorErrorKind = (typeof CONNECTOR_ERROR_KINDS)[number];

export class ConnectorError extends Error {
  constructor(
    readonly kind: ConnectorErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; endpoint?: string; vendorMessage?: string } = {},
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

export interface VendorResponse {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  /** A network failure (ECONNRESET, ECONNREFUSED, a timeout) instead of a response. */
  networkError?: string;
}

/**
 * Pure: what a vendor answer means (STYLE.md §7). 401 → auth_revoked; 429 (and a 503 with a wait
 * header) → rate_limited with the vendor's wait; 5xx and network errors → vendor_unavailable; the
 * manifest's table decides the rest.
 */
export function classify(res: VendorResponse, manifest: Pick<ConnectorManifest, 'statuses' | 'rateLimit'>): { kind: ConnectorErrorKind; retryAfterMs?: number } {
  if (res.networkError || res.status === undefined) return { kind: 'vendor_unavailable' };
  const waitMs = readWait(res.headers, manifest.rateLimit.waitFrom);
  const mapped = manifest.statuses[res.status];
  // A "slow down" without a wait header still waits: a minute, the window vendors count in.
  if (mapped === 'rate_limited') return { kind: mapped, retryAfterMs: waitMs ?? 60_000 };
  if (mapped === 'vendor_unavailable' && waitMs !== undefined) return { kind: mapped, retryAfterMs: waitMs };
  if (mapped) return { kind: mapped };
  if (res.status === 401) return { kind: 'auth_revoked' };
  if (res.status === 429) return { kind: 'rate_limited', retryAfterMs: waitMs ?? 60_000 };
  if (res.status >= 500) return { kind: 'vendor_unavailable', ...(waitMs !== undefined ? { retryAfterMs: waitMs } : {}) };
  if (res.status === 404) return { kind: 'not_found' };
  return { kind: 'invalid_config' };
}

function readWait(headers: VendorResponse['headers'], from: { header: string; unit: 's' | 'ms' }): number | undefined {
  if (!headers) return undefined;
  const raw = headers[from.header] ?? headers[from.header.toLowerCase()];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(from.unit === 's' ? n * 1000 : n);
  const date = Date.parse(v); // Retry-After may also be an HTTP date
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Counts API calls per endpoint ("GET /tasks/{gid}/stories"), for sync runs and benchmarks. */
export class CallCounter {
  private counts = new Map<string, number>();
  add(endpoint: string, n = 1): void {
    this.counts.set(endpoint, (this.counts.get(endpoint) ?? 0) + n);
  }
  get total(): number {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort());
  }
  drain(): Record<string, number> {
    const out = this.toJSON();
    this.counts.clear();
    return out;
  }
}
