import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_TFC_ADDRESS } from '../core/defaults';
import { ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE } from '../core/environment';
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../core/history';
import { DEFAULT_RUN_NEEDS_ATTENTION_ACTION, RUN_NEEDS_ATTENTION_ACTIONS } from '../core/run-status';
import { MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE } from '../core/module-version';
import { TFC_LIMITS } from '../core/tfc-limits';
import { boundedInteger, ConfigError, limitSetting, loadEnv } from '../shared/config';
import type { LocalConfig } from './control-plane';

/** The local control plane's environment, read once; see the README's configuration table. */
export function localConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const e = loadEnv(
    {
      PORT: z.coerce.number().int().min(0).max(65535).default(4000),
      HOST: z.string().default('127.0.0.1'),
      LOCAL_DATA_DIR: z.string().default('.local'),
      TF_MODULE_DIR: z.string().default('terraform-module/local'),
      ENVIRONMENT_NAME: z.string().regex(ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE).default('local'),
      LOCAL_WAIT_SECONDS: z.coerce.number().min(0.05).optional(),
      POLL_BUDGET: z.coerce.number().int().min(1).default(600),
      ON_RUN_NEEDS_ATTENTION: z.enum(RUN_NEEDS_ATTENTION_ACTIONS).default(DEFAULT_RUN_NEEDS_ATTENTION_ACTION),
      TFC_ADDRESS: z.url().optional(),
      TFC_TOKEN: z.string().min(1).optional(),
      TFC_ORGANIZATION: z.string().min(1).optional(),
      MODULE_VERSION_LABEL: z
        .string()
        .regex(MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE)
        .optional(),
      TFC_PROJECT: z.string().min(1).optional(),
      TFC_NOTIFICATIONS: z.enum(['true', 'false']).default('true'),
      TFC_NOTIFICATION_URL: z.url({ protocol: /^https?$/ }).optional(),
      TFC_REQUESTS_PER_SECOND: limitSetting(TFC_LIMITS.requestsPerSecond),
      TFC_RUNS_LIST_PER_MINUTE: limitSetting(TFC_LIMITS.runsListPerMinute),
      TFC_MAX_CONCURRENT_RUNS: limitSetting(TFC_LIMITS.maxConcurrentRuns),
      ADMISSION_WAIT_SECONDS: boundedInteger(TFC_LIMITS.queuedWaitSeconds).optional(),
      WEBHOOK_URL: z.url().optional(),
      HISTORY_RETENTION_DAYS: z.coerce.number().int().positive().default(DEFAULT_HISTORY_RETENTION_DAYS),
    },
    env,
  );
  const waitSeconds = e.LOCAL_WAIT_SECONDS ?? (e.TFC_TOKEN ? 10 : 1);
  const tfcSet = [e.TFC_TOKEN, e.TFC_ORGANIZATION].filter(Boolean).length;
  if (tfcSet === 1) {
    throw new ConfigError(
      'invalid configuration: set both TFC_TOKEN and TFC_ORGANIZATION (and optionally TFC_ADDRESS)',
    );
  }
  const tfc =
    e.TFC_TOKEN && e.TFC_ORGANIZATION
      ? {
          address: e.TFC_ADDRESS ?? DEFAULT_TFC_ADDRESS,
          token: e.TFC_TOKEN,
          organization: e.TFC_ORGANIZATION,
          requestsPerSecond: e.TFC_REQUESTS_PER_SECOND,
          ...(e.TFC_PROJECT ? { project: e.TFC_PROJECT } : {}),
          runsListPerMinute: e.TFC_RUNS_LIST_PER_MINUTE,
        }
      : undefined;
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: resolve(e.LOCAL_DATA_DIR),
    moduleDir: resolve(e.TF_MODULE_DIR),
    environment: e.ENVIRONMENT_NAME,
    // Terraform Cloud counts every poll against its rate limit; the local CLI costs nothing to ask.
    waitSeconds,
    pollBudget: e.POLL_BUDGET,
    historyRetentionDays: e.HISTORY_RETENTION_DAYS,
    onRunNeedsAttention: e.ON_RUN_NEEDS_ATTENTION,
    ...(e.MODULE_VERSION_LABEL ? { moduleVersionLabel: e.MODULE_VERSION_LABEL } : {}),
    maxConcurrentRuns: e.TFC_MAX_CONCURRENT_RUNS,
    // A queued flow asks for a slot as often as a running one checks its run, unless told otherwise.
    queuedWaitSeconds: e.ADMISSION_WAIT_SECONDS ?? waitSeconds,
    ...(tfc ? { tfc } : {}),
    // Run notifications: TFC calls the receiver route of this server (or TFC_NOTIFICATION_URL).
    ...(e.TFC_NOTIFICATIONS === 'true'
      ? { notifications: e.TFC_NOTIFICATION_URL ? { url: e.TFC_NOTIFICATION_URL } : {} }
      : {}),
    ...(e.WEBHOOK_URL ? { webhookUrl: e.WEBHOOK_URL } : {}),
  };
}
