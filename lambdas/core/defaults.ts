/**
 * Defaults of the functions' settings, written once: the CDK props and cdk context (lib/), the Lambda
 * environment loaders (lambdas/handlers/…/contract.ts) and `npm start` all fall back to these. TFC's
 * fleet limits, which carry bounds as well, are in `tfc-limits.ts`.
 */

/** Terraform Cloud when no address is configured. */
export const DEFAULT_TFC_ADDRESS = 'https://app.terraform.io';

/** Seconds between two looks at a run (the flow's Wait state). */
export const DEFAULT_POLL_INTERVAL_SECONDS = 120;

/**
 * Seconds the AwaitRun state waits for its run's notification before the flow falls back to polling: TFC
 * does not redeliver a notification it failed to deliver. The definition's AwaitRun `TimeoutSeconds` is
 * this value (a test holds them equal).
 */
export const DEFAULT_NOTIFICATION_WAIT_SECONDS = 1800;

/** Looks at one run before the flow gives up on it. */
export const DEFAULT_POLL_BUDGET = 90;

/** Seconds an in-progress tenant with no running execution waits before the reconciler republishes it. */
export const DEFAULT_REPUBLISH_AFTER_SECONDS = 600;

/** Seconds after which the reconciler fails a flow it cannot recover. */
export const DEFAULT_FAIL_AFTER_SECONDS = 86_400;

/** How long history is kept (DynamoDB TTL), in days. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 90;

/** Seconds an Idempotency-Key's first answer is replayed. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 3600;

/** Where the tenant module ships inside the bundles that read it (relative to the function's root). */
export const BUNDLED_MODULE_DIR = './terraform-module';
