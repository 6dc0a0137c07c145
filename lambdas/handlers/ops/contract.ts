import * as z from 'zod';
import { DEFAULT_FAIL_AFTER_SECONDS, DEFAULT_REPUBLISH_AFTER_SECONDS } from '../../core/defaults';
import { envVar } from '../../shared/config';
import { positiveSetting, TABLE_ENV, TOPIC_ENV } from '../contract';

/**
 * What the operations functions (decommission, reconciler) read besides the shared variables
 * (`../contract.ts`): the construct sets them, `wiring.ts` reads them. Plain data and zod.
 */
export const OPS_ENV = {
  republishAfterSeconds: 'RECONCILE_REPUBLISH_AFTER_SECONDS',
  failAfterSeconds: 'RECONCILE_FAIL_AFTER_SECONDS',
} as const;

/** The reconciler's two age thresholds and what it may use when it has it. */
export const RECONCILER_VARS = {
  republishAfterSeconds: envVar(
    OPS_ENV.republishAfterSeconds,
    positiveSetting(DEFAULT_REPUBLISH_AFTER_SECONDS),
  ),
  failAfterSeconds: envVar(OPS_ENV.failAfterSeconds, positiveSetting(DEFAULT_FAIL_AFTER_SECONDS)),
  topic: envVar(TOPIC_ENV, z.string().min(1).optional()),
  coordinationTable: envVar(TABLE_ENV.coordination, z.string().min(1).optional()),
};
