import { describe, expect, it } from 'vitest';
import { classify } from './types';
import { manifest } from './asana/manifest';

describe('classify (one closed set of connector errors)', () => {
  const cases: [string, Parameters<typeof classify>[0], ReturnType<typeof classify>][] = [
    ['401 → auth_revoked', { status: 401 }, { kind: 'auth_revoked' }],
    ['403 → auth_revoked (access lost)', { status: 403 }, { kind: 'auth_revoked' }],
    ['429 with Retry-After seconds → rate_limited with that wait', { status: 429, headers: { 'retry-after': '17' } }, { kind: 'rate_limited', retryAfterMs: 17_000 }],
    ['429 without a header → rate_limited, a minute', { status: 429, headers: {} }, { kind: 'rate_limited', retryAfterMs: 60_000 }],
    ['503 → vendor_unavailable', { status: 503 }, { kind: 'vendor_unavailable' }],
    ['503 with Retry-After keeps the wait', { status: 503, headers: { 'retry-after': '5' } }, { kind: 'vendor_unavailable', retryAfterMs: 5_000 }],
    ['500 → vendor_unavailable', { status: 500 }, { kind: 'vendor_unavailable' }],
    ['ECONNRESET → vendor_unavailable', { networkError: 'ECONNRESET' }, { kind: 'vendor_unavailable' }],
    ['404 → not_found', { status: 404 }, { kind: 'not_found' }],
    ['400 → invalid_config', { status: 400 }, { kind: 'invalid_config' }],
    ['402 (premium only) → invalid_config', { status: 402 }, { kind: 'invalid_config' }],
  ];
  it.each(cases)('%s', (_name, res, expected) => {
    expect(classify(res, manifest)).toEqual(expected);
  });
});
