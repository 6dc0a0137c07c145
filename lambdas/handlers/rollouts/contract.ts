import { TOPIC_ENV } from '../contract';

/**
 * What the rollout functions read from their environment, named once: the CDK constructs set these
 * variables and the runtime loaders read them. Plain data: the CDK app imports it without the AWS SDK.
 */
export const ROLLOUT_ENV = {
  /** The rollouts table. */
  table: 'ROLLOUTS_TABLE_NAME',
  /** The rollout state machine (routes that start executions). */
  stateMachine: 'ROLLOUT_STATE_MACHINE_ARN',
  /** The lifecycle topic (RolloutStarted, RolloutHalted, RolloutCompleted). */
  topic: TOPIC_ENV,
} as const;

/** The step function's pacing (seconds, and looks at a busy tenant). */
export const ROLLOUT_TIMING_ENV = {
  watchSeconds: 'ROLLOUT_WATCH_SECONDS',
  busySeconds: 'ROLLOUT_BUSY_SECONDS',
  maxBusyAttempts: 'ROLLOUT_MAX_BUSY_ATTEMPTS',
} as const;

/** The rollout state machine's definition (from the repository root): Plan ► Map of tenants ► … ► Finish. */
export const ROLLOUT_DEFINITION_FILE = 'statemachines/tenant-rollout.asl.json';

/** Where the definition is wired to the step function: its only placeholder. */
export const ROLLOUT_SUBSTITUTIONS = ['RolloutStepFunctionArn'] as const;
