// The one place where connector errors become Temporal failures (STYLE.md §7).
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { ConnectorError, type ConnectorErrorKind } from '../connectors/types';

/** ApplicationFailure.type for each connector error kind; the workflow and retry policies match on these. */
export const FAILURE_TYPE: Record<ConnectorErrorKind, string> = {
  auth_revoked: 'AuthRevoked',
  rate_limited: 'RateLimited',
  vendor_unavailable: 'VendorUnavailable',
  not_found: 'NotFound',
  invalid_config: 'InvalidConfig',
  schema_drift: 'SchemaDrift',
};

export const NON_RETRYABLE_TYPES = [FAILURE_TYPE.auth_revoked, FAILURE_TYPE.invalid_config, FAILURE_TYPE.not_found];

export function toFailure(err: unknown): unknown {
  if (!(err instanceof ConnectorError)) return err;
  const type = FAILURE_TYPE[err.kind];
  return ApplicationFailure.create({
    message: err.message,
    type,
    nonRetryable: NON_RETRYABLE_TYPES.includes(type),
    details: [{ kind: err.kind, status: err.details.status ?? null, endpoint: err.details.endpoint ?? null }],
    ...(err.details.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(err.details.retryAfterMs, 100) } : {}),
    // A vendor's "slow down" is expected: logged at debug level, no failure metrics.
    ...(err.kind === 'rate_limited' ? { category: ApplicationFailureCategory.BENIGN } : {}),
  });
}

export function invalidConfig(message: string): ConnectorError {
  return new ConnectorError('invalid_config', message);
}
