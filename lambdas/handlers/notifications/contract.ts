import { RUN_NOTIFICATION_PATH } from '../../core/run-notification';
import { envVar, nonEmpty } from '../../shared/config';
import { TFC_ENV, tenantTableVar } from '../contract';
import { FLOW_ENV } from '../flow/contract';

/**
 * The run notification receiver (one public function URL), named once: the CDK construct sets these
 * variables and grants what they imply, `wiring.ts` reads them. Plain data and zod: the CDK app imports it
 * without the AWS SDK.
 */
export const NOTIFICATION_ENV = {
  /**
   * The Secrets Manager secret whose SecretString is the HMAC token itself: the same secret (and variable
   * name) the trigger function registers the notification configuration with.
   */
  tokenSecret: FLOW_ENV.notificationTokenSecret,
} as const;

/**
 * The paths the receiver answers: the function URL's root, and RUN_NOTIFICATION_PATH, the path the trigger
 * registers (the same as the local server's route, so both modes register one shape of URL).
 */
export const NOTIFICATION_RECEIVER_PATHS: readonly string[] = ['/', RUN_NOTIFICATION_PATH];

/** What the receiver reads: the tenant table (run waiters), the environment's name, the token secret. */
export const NOTIFICATION_RECEIVER_VARS = {
  tenantTable: tenantTableVar,
  environmentName: envVar(TFC_ENV.environment, nonEmpty),
  tokenSecret: envVar(NOTIFICATION_ENV.tokenSecret, nonEmpty),
};
