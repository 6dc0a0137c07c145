/**
 * Public types of the in-process Terraform Cloud (HCP Terraform) fake.
 *
 * Every shape the fake serves is copied from hashicorp/terraform-docs-common
 * `website/docs/cloud-docs/api-docs/*.mdx` and cross-checked against hashicorp/go-tfe; the options and
 * views below are the fake's own test-facing surface.
 */

/** Injectable time source in epoch milliseconds: a bare function or an object with `now()`. */
export type FakeClock = (() => number) | { now(): number };

/** Terminal run statuses a test can ask for (run.mdx, "Run States"). */
export type RunOutcomeStatus =
  | 'applied'
  | 'planned_and_finished'
  | 'errored'
  | 'canceled'
  | 'force_canceled'
  | 'discarded'
  | 'policy_soft_failed';

/**
 * Statuses in which a run waits for a person and never moves by itself (run.mdx "Run States"):
 * `planned`, `cost_estimated` and `policy_checked` with `actions.is-confirmable` (apply or discard),
 * `policy_override` (a soft-mandatory policy failed: override or discard) and
 * `post_plan_awaiting_decision` (a run task asks for a decision). A `runOutcome` answering one of
 * these makes the run stop there after its plan, holding its workspace's queue until discarded.
 */
export type NeedsAttentionStatus =
  'planned' | 'cost_estimated' | 'policy_checked' | 'policy_override' | 'post_plan_awaiting_decision';

/** Every run status the fake can show (a subset of run.mdx "Run States"). */
export type FakeRunStatus = RunOutcomeStatus | NeedsAttentionStatus | 'pending' | 'planning' | 'applying';

/** What `runOutcome` may return; `phase` says where an `errored` run fails (default `plan`). */
export interface RunOutcomeSpec {
  status: RunOutcomeStatus | NeedsAttentionStatus;
  /** Written to the failing plan's or apply's log (readable through its `log-read-url`). */
  message?: string;
  phase?: 'plan' | 'apply';
}

/** One Terraform output a fake apply produces. `type` is inferred from `value` when omitted. */
export interface FakeOutputSpec {
  name: string;
  value: unknown;
  sensitive?: boolean;
  type?: string;
}

/** What the configuration-version processing decides about an uploaded tarball. */
export type UploadOutcome = 'uploaded' | { status: 'errored'; message: string };

/** A request pattern: `"POST /api/v2/runs"`, `"/api/v2/runs/:id"`, a RegExp on the path, or an object. */
export type RequestPattern = string | RegExp | { method?: string; path: string | RegExp };

/** Answer the next `times` requests matching `method` + `path` with `status` (fault injection). */
export interface FaultRule {
  /** HTTP method, case-insensitive; any method when omitted. */
  method?: string;
  /** `/api/v2/workspaces/:id/vars` (`:x` = one segment, `*` = the rest) or a RegExp on the path. */
  path: string | RegExp;
  status: number;
  /** How many matching requests to answer (default 1; `Infinity` for a permanent outage). */
  times?: number;
  /** Response body; a JSON:API error document for `status` when omitted. */
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
}

/** What a fault hook answers instead of the real endpoint. */
export interface FaultReply {
  status: number;
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
}

export interface FakeRequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** One entry of `fake.requests`. `at` is the injected clock's time. */
export interface FakeRequestLogEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  at: number;
  /** `fault` when a fault rule or hook answered, `rate-limit` for a 429 of the limiter. */
  answeredBy: 'api' | 'fault' | 'rate-limit';
  /**
   * The TFC user the bearer token belongs to (`tokens` option), `ip:<address>` for requests without
   * a known token, `archivist` for upload/log URLs (blob storage, outside the API).
   */
  user: string;
  /** The rate limiter's clock (real time by default) when the request arrived: for per-second rates. */
  rateAt: number;
}

/** TFC plans and their cap on concurrently executing runs (DESIGN.md "Terraform Cloud facts"). */
export type TfcPlan = 'free' | 'essentials' | 'standard' | 'premium';

export interface FakeVariableView {
  id: string;
  key: string;
  /** The real value, also for sensitive variables (the API hides it; the view does not). */
  value: string;
  description: string | null;
  category: 'terraform' | 'env';
  hcl: boolean;
  sensitive: boolean;
}

export interface FakeOutputView {
  id: string;
  name: string;
  sensitive: boolean;
  type: string;
  value: unknown;
}

export interface FakeTagBindingView {
  key: string;
  value: string;
}

export interface FakeWorkspaceView {
  id: string;
  name: string;
  projectId: string;
  autoApply: boolean;
  description: string | null;
  tagNames: readonly string[];
  tagBindings: readonly FakeTagBindingView[];
  resourceCount: number;
  locked: boolean;
  variables: readonly FakeVariableView[];
  /** Outputs of the current state version; empty when there is none. */
  outputs: readonly FakeOutputView[];
  currentStateVersionId: string | null;
  currentConfigurationVersionId: string | null;
  latestRunId: string | null;
  createdAt: number;
}

export interface FakeRunView {
  id: string;
  workspaceId: string;
  workspaceName: string;
  configurationVersionId: string;
  status: FakeRunStatus;
  isDestroy: boolean;
  autoApply: boolean;
  planOnly: boolean;
  message: string;
  source: string;
  /** Decided when the run starts planning; undefined while it waits in `pending`. */
  outcome: Readonly<RunOutcomeSpec> | undefined;
  /** The failure message of an errored run (kept here, and in the plan/apply log, as TFC does). */
  errorMessage: string | undefined;
  /** Terraform-category variables as the run saw them when it was queued. */
  variables: Readonly<Record<string, string>>;
  createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
}

export interface FakeConfigurationVersionView {
  id: string;
  workspaceId: string;
  status: 'pending' | 'uploaded' | 'errored' | 'archived';
  autoQueueRuns: boolean;
  speculative: boolean;
  uploadUrl: string;
  /** The uploaded tarball, once PUT. */
  upload: Buffer | undefined;
  createdAt: number;
}

/** Context handed to the `outputs` option besides the workspace name and variables. */
export interface OutputsContext {
  workspace: FakeWorkspaceView;
  run: FakeRunView;
  /** Environment-category variables (the `variables` argument holds the Terraform ones). */
  envVariables: Readonly<Record<string, string>>;
}

export interface TfcFakeOptions {
  /** The one organization that exists; any other organization answers 404 (TFC's "no permission"). */
  organization: string;
  /** A valid bearer token (of user `owner` unless `tokens` names its user); unknown tokens answer 401. */
  token: string;
  /**
   * More valid tokens, each mapped to the TFC user it belongs to (`token` may be listed too). Tokens
   * of one user share that user's rate limits (index.mdx "Rate Limiting").
   */
  tokens?: Readonly<Record<string, string>>;
  /** Requests per second per user (per client address when unauthenticated). Default 30 (index.mdx). */
  rateLimitPerSecond?: number;
  /**
   * Requests per minute per user to `GET /workspaces/:id/runs`, on top of the per-second limit.
   * Default 30 (run.mdx "List Runs in a Workspace"); `Infinity` turns it off.
   */
  runsListRateLimitPerMinute?: number;
  /** The organization's plan; sets `maxConcurrentRuns` when that is not given. Default `standard`. */
  plan?: TfcPlan;
  /**
   * Runs executing (planning or applying) at once in the organization; later runs wait in `pending`.
   * Default from `plan`: free 1, essentials 3, standard 10, premium 200.
   */
  maxConcurrentRuns?: number;
  /** Time source of the rate limiter; real time by default so frozen simulated time cannot stall it. */
  rateLimitClock?: FakeClock;
  /** Time source of runs, uploads and output processing. Default `Date.now`. */
  clock?: FakeClock;
  /** How long a run takes from planning to its terminal status (half plan, half apply). Default 20 s. */
  runDurationMs?: number | ((run: FakeRunView) => number);
  /** How an apply ends; called when the run starts planning. `undefined` keeps the default. */
  runOutcome?: (
    workspace: FakeWorkspaceView,
    run: FakeRunView,
  ) => RunOutcomeSpec | RunOutcomeStatus | NeedsAttentionStatus | undefined;
  /** Outputs the state holds after a successful non-destroy apply. Default: none. */
  outputs?: (
    workspaceName: string,
    variables: Readonly<Record<string, string>>,
    context: OutputsContext,
  ) => readonly FakeOutputSpec[];
  /**
   * After an apply (a destroy too), the new state is processed for this long: current outputs answer
   * 503 and safe delete 409 meanwhile; a function decides per run. Default 3 s.
   */
  outputsProcessingMs?: number | ((run: FakeRunView) => number);
  /** A configuration version stays `pending` this long after its upload. Default 1.5 s. */
  uploadProcessingMs?: number;
  /** Decides whether an uploaded tarball processes into `uploaded` or `errored`. */
  uploadOutcome?: (upload: Buffer) => UploadOutcome;
  /** Fault queue: each rule answers its next `times` matching requests. */
  faults?: readonly FaultRule[];
  /** Called for every request before the rules; return a reply to answer instead of the API. */
  faultHook?: (request: FakeRequestInfo) => FaultReply | undefined;
  /** Seed of the id generator (ids are deterministic for a given sequence of requests). */
  seed?: number;
  /** The `terraform-version` workspaces report. Default `1.11.4`. */
  terraformVersion?: string;
  /**
   * `POST /notification-configurations/:id/actions/verify` per minute per user (index.mdx "Lower rate
   * limits for some endpoints": 10 per minute). Default 10; `Infinity` turns it off.
   */
  verifyRateLimitPerMinute?: number;
  /** How run notifications are delivered (notification-configurations.mdx); see {@link FakeNotificationOptions}. */
  notifications?: FakeNotificationOptions;
}

/** What a test can decide about one notification before it is sent. */
export interface FakeNotificationIntent {
  configurationId: string;
  url: string;
  /** `run:completed`, … or `verification` for the verification request. */
  trigger: string;
  runId: string | null;
  runStatus: string | null;
  workspaceName: string | null;
}

export interface FakeNotificationOptions {
  /**
   * Run notifications this returns true for are recorded as dropped and never sent (TFC promises no
   * redelivery: a lost notification is lost). Verification requests are never dropped.
   */
  drop?: (intent: FakeNotificationIntent) => boolean;
  /** Real-time delay between observing a run's transition and sending its notification. Default 0. */
  delayMs?: number;
  /** How long a destination may take to answer. Default 10 s (assumed; the docs name no timeout). */
  timeoutMs?: number;
}

/** One notification or verification request the fake sent (or dropped). */
export interface FakeNotificationDelivery extends FakeNotificationIntent {
  /** The exact body sent (what the signature covers). */
  body: string;
  /** `X-TFE-Notification-Signature`, when the configuration has a token. */
  signature: string | undefined;
  /** The destination's HTTP status; undefined when dropped or when it did not answer. */
  status: number | undefined;
  /** Why there is no status (network error, timeout), when there is none and it was not dropped. */
  error: string | undefined;
  dropped: boolean;
  /** The fake's clock when the transition was observed (or the verification sent). */
  at: number;
  /** The fake's clock when the request went out, after any `delayMs`; undefined when dropped. */
  sentAt: number | undefined;
  /** Real time (`Date.now()`) when the request was answered, failed or dropped. */
  settledAt: number;
}

/** A notification configuration as a test sees it, token included (the API never shows it). */
export interface FakeNotificationConfigurationView {
  id: string;
  subscribable: { type: 'workspaces' | 'projects'; id: string };
  name: string;
  destinationType: string;
  url: string | null;
  token: string | null;
  triggers: readonly string[];
  enabled: boolean;
}

/** A running fake. Views are snapshots taken at the time of the call. */
export interface TfcFake {
  /** Base address to configure a client with, e.g. `http://127.0.0.1:41234` (API under `/api/v2`). */
  readonly url: string;
  readonly port: number;
  readonly organization: string;
  readonly token: string;
  /** Every request received, in order. */
  readonly requests: readonly FakeRequestLogEntry[];
  readonly workspaces: readonly FakeWorkspaceView[];
  readonly runs: readonly FakeRunView[];
  readonly configurationVersions: readonly FakeConfigurationVersionView[];
  /** How many logged requests match the pattern (e.g. `fake.countBy('POST /api/v2/runs')`), of one user. */
  countBy(pattern: RequestPattern, user?: string): number;
  /** Adds fault rules at the back of the queue. */
  injectFault(...rules: readonly FaultRule[]): void;
  /** Drops every pending fault rule. */
  clearFaults(): void;
  /** Fault rules that still have answers left. */
  readonly pendingFaults: number;
  /** Empties the request log (e.g. between benchmark phases). */
  clearRequests(): void;
  /** A workspace view by name, or undefined. */
  workspace(name: string): FakeWorkspaceView | undefined;
  /** A run view by id, or undefined. */
  run(id: string): FakeRunView | undefined;
  /** The organization's cap on executing runs. */
  readonly maxConcurrentRuns: number;
  /** Runs planning or applying at time `at` (the fake's clock; default now). */
  runsExecutingAt(at?: number): number;
  /** The most runs that were ever planning or applying at the same time. */
  readonly peakExecutingRuns: number;
  /** The most requests one user sent in any sliding second (rate-limit clock), 429s included. */
  peakRequestsPerSecond(user?: string): number;
  /** Requests per whole second (rate-limit clock, seconds since the first request) for one user or all. */
  requestsPerSecond(user?: string): number[];
  /** Makes a workspace (by name or id) answer 404 to these tokens, as TFC does without permission. */
  hideWorkspace(workspace: string, ...tokens: readonly string[]): void;
  /** Archives a configuration version as TFC does on its own (configuration-versions.mdx). */
  archiveConfigurationVersion(id: string): void;
  /** Projects of the organization, with the `Default Project` every organization has. */
  readonly projects: readonly FakeProjectView[];
  /** Variable sets of the organization. */
  readonly variableSets: readonly FakeVariableSetView[];
  /** Notification configurations of workspaces and projects. */
  readonly notificationConfigurations: readonly FakeNotificationConfigurationView[];
  /** Every run notification and verification request sent or dropped so far, in order. */
  readonly notificationDeliveries: readonly FakeNotificationDelivery[];
  /** Replaces the `notifications.drop` option: `true` drops every run notification, `false` none. */
  dropNotifications(drop: boolean | ((intent: FakeNotificationIntent) => boolean)): void;
  /** Resolves once every notification due by now has been sent and answered (or dropped). */
  settleNotifications(): Promise<void>;
  /**
   * An outage: stops listening and drops every open connection, so requests meet `ECONNREFUSED` (or a
   * closed connection) as when TFC or the network in between is down. State and the log are kept.
   */
  goOffline(): Promise<void>;
  /** Ends the outage: listens again on the same port. */
  goOnline(): Promise<void>;
  close(): Promise<void>;
}

export interface FakeProjectView {
  id: string;
  name: string;
  workspaceIds: readonly string[];
}

export interface FakeVariableSetView {
  id: string;
  name: string;
  global: boolean;
  workspaceIds: readonly string[];
  variables: readonly FakeVariableView[];
}
