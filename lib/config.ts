import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DEFAULT_FAIL_AFTER_SECONDS,
  DEFAULT_POLL_BUDGET,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_REPUBLISH_AFTER_SECONDS,
  DEFAULT_TFC_ADDRESS,
} from '../lambdas/core/defaults';
import type { TenantControlPlaneStackProps } from './tenant-control-plane-stack';
import { ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE } from '../lambdas/core/environment';
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../lambdas/core/history';
import { DEFAULT_ROLLOUT_TIMINGS } from '../lambdas/core/rollout';
import {
  DEFAULT_RUN_NEEDS_ATTENTION_ACTION,
  RUN_NEEDS_ATTENTION_ACTIONS,
  type RunNeedsAttentionAction,
} from '../lambdas/core/run-status';
import { MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE } from '../lambdas/core/module-version';
import { TFC_LIMITS, type LimitSetting } from '../lambdas/core/tfc-limits';

/** The app's configuration, read from `cdk.json` context or `-c key=value`, validated. */
export interface ControlPlaneConfig {
  readonly environmentName: string;
  readonly tfcAddress: string;
  readonly tfcOrganization: string;
  readonly pollIntervalSeconds: number;
  readonly pollBudget: number;
  readonly onRunNeedsAttention: RunNeedsAttentionAction;
  readonly tfcProject?: string;
  readonly moduleVersionLabel?: string;
  readonly tfcMaxConcurrentRuns: number;
  readonly tfcRequestsPerSecond: number;
  readonly tfcRunsListPerMinute: number;
  readonly admissionWaitSeconds: number;
  readonly logRetentionDays: RetentionDays;
  readonly vpcId?: string;
  readonly executeApiVpcEndpointId?: string;
  readonly ssmVpcEndpoints: boolean;
  readonly adminHost: boolean;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  readonly tfcAwsRunRoleArn?: string;
  readonly tfcDynamicCredentials: boolean;
  /** Run notifications: the public receiver and its registration at TFC. */
  readonly tfcNotifications: boolean;
  readonly tfcOidcProviderArn?: string;
  readonly tfcRunRoleManagedPolicyArns?: string[];
  readonly tfcRunRolePermissionsBoundaryArn?: string;
  readonly reconcileRepublishAfterSeconds: number;
  readonly reconcileFailAfterSeconds: number;
  readonly apiThrottleRateLimit: number;
  readonly apiThrottleBurstLimit: number;
  readonly apiGatewayCloudWatchRole: boolean;
  readonly historyRetentionDays: number;
  readonly rolloutWatchSeconds: number;
  readonly rolloutBusySeconds: number;
  readonly rolloutMaxBusyAttempts: number;
}

/** One or more context values are missing or malformed; the message names each. */
export class ContextConfigError extends Error {
  public constructor(public readonly problems: string[]) {
    super(`invalid cdk context:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ContextConfigError';
  }
}

const POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/;

const RETENTION_DAYS = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');

/**
 * Reads and validates every context key at once, so one synth reports all problems. Values from `cdk.json`
 * are JSON (numbers, booleans); values from `-c key=value` are strings: both are accepted.
 */
export function readControlPlaneConfig(get: (key: string) => unknown): ControlPlaneConfig {
  const problems: string[] = [];
  const raw = (key: string): string | undefined => {
    const value = get(key);
    if (value === undefined || value === null || value === '') return undefined;
    return typeof value === 'string' ? value.trim() : JSON.stringify(value);
  };
  const text = (key: string, pattern: RegExp, hint: string, required: boolean): string | undefined => {
    const value = raw(key);
    if (value === undefined) {
      if (required) problems.push(`${key} is required (${hint})`);
      return undefined;
    }
    if (!pattern.test(value)) problems.push(`${key} must be ${hint}, got '${value}'`);
    return value;
  };
  const integer = (key: string, min: number, max: number, fallback: number): number => {
    const value = raw(key);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key} must be an integer from ${min} to ${max}, got '${value}'`);
    }
    return n;
  };
  const limit = (setting: LimitSetting): number =>
    integer(setting.context, setting.min, setting.max, setting.default);
  const flag = (key: string, fallback: boolean): boolean => {
    const value = raw(key);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') problems.push(`${key} must be true or false, got '${value}'`);
    return value === 'true';
  };
  const oneOf = <T extends string>(key: string, values: readonly T[], fallback: T): T => {
    const value = raw(key);
    if (value === undefined) return fallback;
    if (!(values as readonly string[]).includes(value)) {
      problems.push(`${key} must be one of ${values.join(', ')}, got '${value}'`);
    }
    return value as T;
  };
  /** A comma-separated string (`-c`), or a JSON array of strings (`cdk.json`). */
  const list = (key: string, pattern: RegExp, hint: string): string[] | undefined => {
    const value = get(key);
    if (value === undefined || value === null || value === '') return undefined;
    const item = (v: unknown): string => (typeof v === 'string' ? v.trim() : JSON.stringify(v));
    const items = Array.isArray(value) ? value.map(item) : item(value).split(',').map(item);
    const bad = items.filter((v) => !pattern.test(v));
    if (items.length === 0 || bad.length > 0) {
      problems.push(`${key} must be comma-separated ${hint}, got '${bad.join(',')}'`);
    }
    return items;
  };

  const environmentName = text('environmentName', ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE, true);
  const tfcAddress =
    text('tfcAddress', /^https:\/\/[^\s/]+(\/[^\s]*)?$/, 'an https:// URL', false) ?? DEFAULT_TFC_ADDRESS;
  const tfcOrganization = text(
    'tfcOrganization',
    /^[A-Za-z0-9_-]{1,64}$/,
    'a Terraform Cloud organization name (letters, digits, - and _)',
    true,
  );
  const pollIntervalSeconds = integer('pollIntervalSeconds', 5, 3600, DEFAULT_POLL_INTERVAL_SECONDS);
  const pollBudget = integer('pollBudget', 1, 10000, DEFAULT_POLL_BUDGET);
  const onRunNeedsAttention = oneOf(
    'onRunNeedsAttention',
    RUN_NEEDS_ATTENTION_ACTIONS,
    DEFAULT_RUN_NEEDS_ATTENTION_ACTION,
  );
  const tfcProject = text(
    'tfcProject',
    /^[A-Za-z0-9 _-]{3,40}$/,
    'a TFC project name (3-40 letters, digits, spaces, - and _)',
    false,
  );
  const moduleVersionLabel = text(
    'moduleVersionLabel',
    MODULE_VERSION_LABEL_PATTERN,
    MODULE_VERSION_LABEL_RULE,
    false,
  );
  const tfcMaxConcurrentRuns = limit(TFC_LIMITS.maxConcurrentRuns);
  const tfcRequestsPerSecond = limit(TFC_LIMITS.requestsPerSecond);
  const tfcRunsListPerMinute = limit(TFC_LIMITS.runsListPerMinute);
  const admissionWaitSeconds = limit(TFC_LIMITS.queuedWaitSeconds);
  const logRetentionDays = integer('logRetentionDays', 1, 9999, 30);
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    problems.push(`logRetentionDays must be one of CloudWatch Logs' values: ${RETENTION_DAYS.join(', ')}`);
  }
  const vpcId = text('vpcId', /^vpc-[0-9a-f]{8,17}$/, 'a VPC id (vpc-…)', false);
  const executeApiVpcEndpointId = text(
    'executeApiVpcEndpointId',
    /^vpce-[0-9a-f]{8,17}$/,
    'a VPC endpoint id (vpce-…)',
    false,
  );
  if (executeApiVpcEndpointId && !vpcId) problems.push('executeApiVpcEndpointId needs vpcId (its VPC)');
  const alarmEmail = text('alarmEmail', /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an email address', false);
  const alarmTopicArn = text(
    'alarmTopicArn',
    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/,
    'an SNS topic ARN',
    false,
  );
  const tfcAwsRunRoleArn = text(
    'tfcAwsRunRoleArn',
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
    'an IAM role ARN',
    false,
  );
  const tfcDynamicCredentials = flag('tfcDynamicCredentials', false);
  const tfcNotifications = flag('tfcNotifications', true);
  const tfcOidcProviderArn = text(
    'tfcOidcProviderArn',
    /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/[^\s/]+$/,
    'an IAM OIDC provider ARN',
    false,
  );
  const tfcHost = /^https:\/\/([^\s/:]+)/.exec(tfcAddress)?.[1];
  if (tfcOidcProviderArn && tfcHost && !tfcOidcProviderArn.endsWith(`:oidc-provider/${tfcHost}`)) {
    problems.push(`tfcOidcProviderArn must be the OIDC provider of ${tfcHost} (…:oidc-provider/${tfcHost})`);
  }
  const tfcRunRoleManagedPolicyArns = list(
    'tfcRunRoleManagedPolicyArns',
    POLICY_ARN,
    'IAM managed policy ARNs',
  );
  const tfcRunRolePermissionsBoundaryArn = text(
    'tfcRunRolePermissionsBoundaryArn',
    POLICY_ARN,
    'an IAM managed policy ARN',
    false,
  );
  if (tfcDynamicCredentials && /^https:\/\/[^\s/]+:\d*(\/|$)/.test(tfcAddress)) {
    problems.push(
      'tfcDynamicCredentials needs a tfcAddress without a port (an IAM OIDC provider URL has none)',
    );
  }
  if (tfcDynamicCredentials && tfcAwsRunRoleArn) {
    problems.push('tfcDynamicCredentials creates the run role: leave tfcAwsRunRoleArn unset');
  }
  if (!tfcDynamicCredentials) {
    for (const [key, value] of Object.entries({
      tfcOidcProviderArn,
      tfcRunRoleManagedPolicyArns,
      tfcRunRolePermissionsBoundaryArn,
    })) {
      if (value !== undefined) {
        problems.push(`${key} needs tfcDynamicCredentials=true (it configures the run role)`);
      }
    }
  }
  const reconcileRepublishAfterSeconds = integer(
    'reconcileRepublishAfterSeconds',
    60,
    86400,
    DEFAULT_REPUBLISH_AFTER_SECONDS,
  );
  const reconcileFailAfterSeconds = integer(
    'reconcileFailAfterSeconds',
    300,
    7 * 86400,
    DEFAULT_FAIL_AFTER_SECONDS,
  );
  if (reconcileFailAfterSeconds <= reconcileRepublishAfterSeconds) {
    problems.push('reconcileFailAfterSeconds must be larger than reconcileRepublishAfterSeconds');
  }
  const historyRetentionDays = integer('historyRetentionDays', 1, 3650, DEFAULT_HISTORY_RETENTION_DAYS);
  const rolloutWatchSeconds = integer('rolloutWatchSeconds', 5, 3600, DEFAULT_ROLLOUT_TIMINGS.watchSeconds);
  const rolloutBusySeconds = integer('rolloutBusySeconds', 5, 3600, DEFAULT_ROLLOUT_TIMINGS.busySeconds);
  const rolloutMaxBusyAttempts = integer(
    'rolloutMaxBusyAttempts',
    1,
    1000,
    DEFAULT_ROLLOUT_TIMINGS.maxBusyAttempts,
  );
  const apiThrottleRateLimit = integer('apiThrottleRateLimit', 1, 10000, 50);
  const apiThrottleBurstLimit = integer('apiThrottleBurstLimit', 1, 5000, 100);
  const ssmVpcEndpoints = flag('ssmVpcEndpoints', true);
  const adminHost = flag('adminHost', true);
  const apiGatewayCloudWatchRole = flag('apiGatewayCloudWatchRole', true);

  if (problems.length > 0 || !environmentName || !tfcOrganization) {
    throw new ContextConfigError(problems);
  }
  return {
    environmentName,
    tfcAddress,
    tfcOrganization,
    pollIntervalSeconds,
    pollBudget,
    onRunNeedsAttention,
    tfcMaxConcurrentRuns,
    tfcRequestsPerSecond,
    tfcRunsListPerMinute,
    admissionWaitSeconds,
    logRetentionDays,
    ssmVpcEndpoints,
    adminHost,
    reconcileRepublishAfterSeconds,
    reconcileFailAfterSeconds,
    apiThrottleRateLimit,
    apiThrottleBurstLimit,
    apiGatewayCloudWatchRole,
    historyRetentionDays,
    rolloutWatchSeconds,
    rolloutBusySeconds,
    rolloutMaxBusyAttempts,
    tfcDynamicCredentials,
    tfcNotifications,
    ...(vpcId ? { vpcId } : {}),
    ...(executeApiVpcEndpointId ? { executeApiVpcEndpointId } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(alarmTopicArn ? { alarmTopicArn } : {}),
    ...(tfcAwsRunRoleArn ? { tfcAwsRunRoleArn } : {}),
    ...(tfcProject ? { tfcProject } : {}),
    ...(moduleVersionLabel ? { moduleVersionLabel } : {}),
    ...(tfcOidcProviderArn ? { tfcOidcProviderArn } : {}),
    ...(tfcRunRoleManagedPolicyArns ? { tfcRunRoleManagedPolicyArns } : {}),
    ...(tfcRunRolePermissionsBoundaryArn ? { tfcRunRolePermissionsBoundaryArn } : {}),
  };
}

/** The stack's properties for a validated configuration. */
export function controlPlaneStackProps(config: ControlPlaneConfig): TenantControlPlaneStackProps {
  return {
    environmentName: config.environmentName,
    tfc: {
      address: config.tfcAddress,
      organization: config.tfcOrganization,
      onRunNeedsAttention: config.onRunNeedsAttention,
      notifications: config.tfcNotifications,
      ...(config.tfcProject ? { project: config.tfcProject } : {}),
      ...(config.moduleVersionLabel ? { moduleVersionLabel: config.moduleVersionLabel } : {}),
      ...(config.tfcAwsRunRoleArn ? { awsRunRoleArn: config.tfcAwsRunRoleArn } : {}),
      ...(config.tfcDynamicCredentials
        ? {
            dynamicCredentials: config.tfcOidcProviderArn
              ? { existingProviderArn: config.tfcOidcProviderArn }
              : {},
          }
        : {}),
    },
    flows: {
      pollInterval: Duration.seconds(config.pollIntervalSeconds),
      pollBudget: config.pollBudget,
      tfcLimits: {
        maxConcurrentRuns: config.tfcMaxConcurrentRuns,
        requestsPerSecond: config.tfcRequestsPerSecond,
        runsListPerMinute: config.tfcRunsListPerMinute,
        admissionWait: Duration.seconds(config.admissionWaitSeconds),
      },
    },
    logRetention: config.logRetentionDays,
    ssmEndpoints: config.ssmVpcEndpoints,
    adminHost: config.adminHost,
    api: {
      throttling: { rateLimit: config.apiThrottleRateLimit, burstLimit: config.apiThrottleBurstLimit },
      cloudWatchRole: config.apiGatewayCloudWatchRole,
    },
    historyRetentionDays: config.historyRetentionDays,
    rollouts: {
      watchInterval: Duration.seconds(config.rolloutWatchSeconds),
      busyInterval: Duration.seconds(config.rolloutBusySeconds),
      maxBusyAttempts: config.rolloutMaxBusyAttempts,
    },
    operations: {
      reconcileRepublishAfter: Duration.seconds(config.reconcileRepublishAfterSeconds),
      reconcileFailAfter: Duration.seconds(config.reconcileFailAfterSeconds),
    },
    ...(config.vpcId ? { vpcId: config.vpcId } : {}),
    ...(config.executeApiVpcEndpointId ? { executeApiVpcEndpointId: config.executeApiVpcEndpointId } : {}),
    ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    ...(config.alarmTopicArn ? { alarmTopicArn: config.alarmTopicArn } : {}),
    ...(config.tfcRunRoleManagedPolicyArns
      ? { tfcRunRoleManagedPolicyArns: config.tfcRunRoleManagedPolicyArns }
      : {}),
    ...(config.tfcRunRolePermissionsBoundaryArn
      ? { tfcRunRolePermissionsBoundaryArn: config.tfcRunRolePermissionsBoundaryArn }
      : {}),
  };
}
