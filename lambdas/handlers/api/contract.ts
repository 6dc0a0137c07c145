import { DEFAULT_IDEMPOTENCY_TTL_SECONDS } from '../../core/defaults';
import { envVar, nonEmpty } from '../../shared/config';
import { positiveSetting, TABLE_ENV } from '../contract';

/**
 * What the API functions read from their environment besides the shared variables (`../contract.ts`):
 * the construct sets them, `wiring.ts` reads them. Plain data and zod.
 */
export const API_ENV = {
  /** Seconds an Idempotency-Key's first answer is replayed. */
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
} as const;

export const idempotencyTtlVar = envVar(
  API_ENV.idempotencyTtlSeconds,
  positiveSetting(DEFAULT_IDEMPOTENCY_TTL_SECONDS),
);

/** The write routes' idempotency records. */
export const idempotencyTableVar = envVar(TABLE_ENV.idempotency, nonEmpty);
