/**
 * Terraform Cloud's fleet-scale limits the control plane works within, and the bounds of the settings that
 * change them. Defined once: `cdk synth` (lib/config.ts), `npm start` (lambdas/local/config.ts) and the
 * Lambda environment loaders all validate against these.
 */
export interface LimitSetting {
  /** Name of the setting in cdk context (`-c name=…`, cdk.json). */
  readonly context: string;
  /** Name of the environment variable (local control plane and Lambda functions). */
  readonly env: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export const TFC_LIMITS = {
  /**
   * Runs in flight for the organization at once. HCP Terraform executes 10 runs at a time on Standard
   * (1 Free, 3 Essentials, 200 Premium); more only pile up as `pending` runs.
   */
  maxConcurrentRuns: {
    context: 'tfcMaxConcurrentRuns',
    env: 'TFC_MAX_CONCURRENT_RUNS',
    default: 10,
    min: 1,
    max: 1000,
  },
  /**
   * Requests per second per TFC user (api-docs/index.mdx "Rate limiting": 30, shared by every token of
   * the user). The budget never exceeds what TFC reports in `X-RateLimit-Limit` either. At least 2: the
   * windowed budget needs two requests per period to promise a bound (lambdas/core/rate-budget.ts).
   */
  requestsPerSecond: {
    context: 'tfcRequestsPerSecond',
    env: 'TFC_REQUESTS_PER_SECOND',
    default: 30,
    min: 2,
    max: 1000,
  },
  /** Runs-list requests per minute (api-docs/run.mdx "List Runs in a Workspace": 30 per minute). */
  runsListPerMinute: {
    context: 'tfcRunsListPerMinute',
    env: 'TFC_RUNS_LIST_PER_MINUTE',
    default: 30,
    min: 2,
    max: 1000,
  },
  /** Seconds a flow waits in the control plane's queue between two admission attempts. */
  queuedWaitSeconds: {
    context: 'admissionWaitSeconds',
    env: 'ADMISSION_WAIT_SECONDS',
    default: 20,
    min: 1,
    max: 900,
  },
} as const satisfies Record<string, LimitSetting>;

/** Throws a RangeError naming `name` unless `value` is an integer within the setting's bounds. */
export function checkLimit(setting: LimitSetting, name: string, value: number): number {
  if (!Number.isInteger(value) || value < setting.min || value > setting.max) {
    throw new RangeError(`${name} must be an integer from ${setting.min} to ${setting.max}, got ${value}`);
  }
  return value;
}
