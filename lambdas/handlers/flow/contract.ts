import * as z from 'zod';
import { DEFAULT_POLL_BUDGET, DEFAULT_POLL_INTERVAL_SECONDS } from '../../core/defaults';
import { DEFAULT_RUN_NEEDS_ATTENTION_ACTION, RUN_NEEDS_ATTENTION_ACTIONS } from '../../core/run-status';
import { TFC_LIMITS } from '../../core/tfc-limits';
import { envVar, limitSetting, nonEmpty } from '../../shared/config';
import {
  HISTORY_VARS,
  MODULE_VARS,
  TABLE_ENV,
  TFC_LOCATION_VARS,
  tenantTableVar,
  TOPIC_ENV,
} from '../contract';

/**
 * The flow functions (admit, trigger, check, await, finalize) and their state machines, named once: the CDK
 * constructs set these variables and fill the definition's placeholders, `wiring.ts` and the local state
 * machine read them. Plain data and zod: the CDK app imports it without the AWS SDK.
 */
export const FLOW_ENV = {
  /** The Secrets Manager secret holding the TFC token. */
  tokenSecret: 'TFC_TOKEN_SECRET_ARN',
  pollIntervalSeconds: 'POLL_INTERVAL_SECONDS',
  pollBudget: 'POLL_BUDGET',
  onRunNeedsAttention: 'ON_RUN_NEEDS_ATTENTION',
  /** The TFC project the workspaces are created in. */
  project: 'TFC_PROJECT',
  /** The role TFC runs assume through dynamic provider credentials. */
  awsRunRoleArn: 'TFC_AWS_RUN_ROLE_ARN',
  /**
   * The run notification receiver's public URL. Set on the trigger function when notifications are on
   * (`tfcNotifications`), with {@link FLOW_ENV.notificationTokenSecret}: Trigger then makes sure the
   * environment's project has the notification configuration before its first run (no URL, no
   * registration). The construct that sets it also grants the trigger function `secretsmanager:GetSecretValue`
   * on the secret.
   */
  notificationUrl: 'TFC_NOTIFICATION_URL',
  /**
   * The Secrets Manager secret (ARN) whose SecretString is the notification HMAC token itself (plain text,
   * not JSON): the key TFC signs notifications with and the receiver verifies them with.
   */
  notificationTokenSecret: 'TFC_NOTIFICATION_TOKEN_SECRET_ARN',
} as const;

/** The one flow definition shared by the create, update and delete state machines (from the repository root). */
export const FLOW_DEFINITION_FILE = 'statemachines/tenant-flow.asl.json';

/** Where the state machines are wired to the Lambda functions: the definition's only placeholders. */
export const FLOW_SUBSTITUTIONS = [
  'AdmitFunctionArn',
  'TriggerFunctionArn',
  'CheckFunctionArn',
  'AwaitFunctionArn',
  'FinalizeFunctionArn',
] as const;

/** Admission control's settings: the Admit task uses them, check and finalize free slots with them. */
export const ADMISSION_VARS = {
  tenantTable: tenantTableVar,
  ...HISTORY_VARS,
  coordinationTable: envVar(TABLE_ENV.coordination, nonEmpty),
  maxConcurrentRuns: envVar(TFC_LIMITS.maxConcurrentRuns.env, limitSetting(TFC_LIMITS.maxConcurrentRuns)),
  queuedWaitSeconds: envVar(TFC_LIMITS.queuedWaitSeconds.env, limitSetting(TFC_LIMITS.queuedWaitSeconds)),
};

/** What trigger, check and finalize read. */
export const FLOW_VARS = {
  ...ADMISSION_VARS,
  ...TFC_LOCATION_VARS,
  ...MODULE_VARS,
  tokenSecret: envVar(FLOW_ENV.tokenSecret, nonEmpty),
  /** The TFC user's budget, shared by every instance through the coordination table. */
  requestsPerSecond: envVar(TFC_LIMITS.requestsPerSecond.env, limitSetting(TFC_LIMITS.requestsPerSecond)),
  runsListPerMinute: envVar(TFC_LIMITS.runsListPerMinute.env, limitSetting(TFC_LIMITS.runsListPerMinute)),
  pollIntervalSeconds: envVar(
    FLOW_ENV.pollIntervalSeconds,
    z.coerce.number().int().min(1).default(DEFAULT_POLL_INTERVAL_SECONDS),
  ),
  pollBudget: envVar(FLOW_ENV.pollBudget, z.coerce.number().int().min(1).default(DEFAULT_POLL_BUDGET)),
  onRunNeedsAttention: envVar(
    FLOW_ENV.onRunNeedsAttention,
    z.enum(RUN_NEEDS_ATTENTION_ACTIONS).default(DEFAULT_RUN_NEEDS_ATTENTION_ACTION),
  ),
  project: envVar(FLOW_ENV.project, z.string().min(1).optional()),
  awsRunRoleArn: envVar(FLOW_ENV.awsRunRoleArn, z.string().optional()),
  notificationUrl: envVar(FLOW_ENV.notificationUrl, z.url({ protocol: /^https?$/ }).optional()),
  notificationTokenSecret: envVar(FLOW_ENV.notificationTokenSecret, z.string().min(1).optional()),
  /** Required by finalize only (it notifies). */
  topic: envVar(TOPIC_ENV, z.string().optional()),
};
