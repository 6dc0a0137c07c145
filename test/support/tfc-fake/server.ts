/**
 * An in-process fake of the HCP Terraform / Terraform Cloud API, served over real HTTP on 127.0.0.1.
 *
 * Built from hashicorp/terraform-docs-common `cloud-docs/api-docs` (workspaces, workspace-variables,
 * configuration-versions, run, plans, applies, state-version-outputs, projects, variable-sets,
 * notification-configurations, index for authentication, 404 semantics and rate limiting) and checked
 * against hashicorp/go-tfe. Run notifications are sent to their destinations as documented
 * (notifications.ts). Request pipeline: fault injection → rate limit (per user; the runs list and the
 * notification verify action also per minute) → bearer auth
 * (401) → route (404 unknown path, 405 known path with another method) → organization check (404) →
 * endpoint (404 for workspaces hidden from the token).
 *
 * Timings are realistic by default (runs of 20 s, 1.5 s of upload processing, 3 s of state
 * processing, 10 runs executing at once as on the Standard plan); tests that need speed pass
 * `FAST_TIMINGS` or their own.
 *
 *   const fake = await startTfcFake({ organization: 'acme', token: 't0k3n' });
 *   // point a client at fake.url (API under /api/v2), then inspect fake.requests / fake.runs
 *   await fake.close();
 */
import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

import { FaultQueue } from './faults';
import { IdGenerator } from './ids';
import {
  InvalidAttributeError,
  JSON_API,
  MalformedBodyError,
  WrongTypeError,
  errorReply,
  notFound,
  type Reply,
} from './jsonapi';
import { NotificationHub } from './notifications';
import { matchesRequest } from './patterns';
import { RateLimiter, type RateDecision } from './rate-limiter';
import { allowedMethods, findRoute, type Route, type RouteMatch } from './router';
import { configurationVersionRoutes } from './routes-configuration-versions';
import { organizationRoutes } from './routes-organizations';
import { outputRoutes } from './routes-outputs';
import { projectRoutes } from './routes-projects';
import { notificationRoutes, VERIFY_PATH } from './routes-notifications';
import { runRoutes } from './routes-runs';
import { variableRoutes } from './routes-vars';
import { variableSetRoutes } from './routes-varsets';
import { workspaceRoutes } from './routes-workspaces';
import { Store } from './store';
import type {
  FakeClock,
  FakeConfigurationVersionView,
  FakeNotificationConfigurationView,
  FakeNotificationDelivery,
  FakeNotificationIntent,
  FakeProjectView,
  FakeRequestInfo,
  FakeRequestLogEntry,
  FakeRunView,
  FakeVariableSetView,
  FakeWorkspaceView,
  FaultReply,
  FaultRule,
  RequestPattern,
  TfcFake,
  TfcFakeOptions,
  TfcPlan,
} from './types';

export type {
  FakeClock,
  FakeConfigurationVersionView,
  FakeNotificationConfigurationView,
  FakeNotificationDelivery,
  FakeNotificationIntent,
  FakeNotificationOptions,
  FakeProjectView,
  FakeVariableSetView,
  NeedsAttentionStatus,
  TfcPlan,
  FakeOutputSpec,
  FakeOutputView,
  FakeRequestInfo,
  FakeRequestLogEntry,
  FakeRunStatus,
  FakeRunView,
  FakeTagBindingView,
  FakeVariableView,
  FakeWorkspaceView,
  FaultReply,
  FaultRule,
  OutputsContext,
  RequestPattern,
  RunOutcomeSpec,
  RunOutcomeStatus,
  TfcFake,
  TfcFakeOptions,
  UploadOutcome,
} from './types';

const ROUTES: readonly Route[] = [
  ...workspaceRoutes,
  ...variableRoutes,
  ...configurationVersionRoutes,
  ...runRoutes,
  ...outputRoutes,
  ...projectRoutes,
  ...variableSetRoutes,
  ...organizationRoutes,
  ...notificationRoutes,
];

/** DESIGN.md "Terraform Cloud facts": concurrently executing runs per plan. */
export const PLAN_CONCURRENCY: Readonly<Record<TfcPlan, number>> = {
  free: 1,
  essentials: 3,
  standard: 10,
  premium: 200,
};

/** The realistic defaults (see the option docs in types.ts). */
export const DEFAULT_TIMINGS = {
  runDurationMs: 20_000,
  uploadProcessingMs: 1_500,
  outputsProcessingMs: 3_000,
} as const;

/** Timings for tests that must be fast; spread into the options (and override what a test needs). */
export const FAST_TIMINGS = { runDurationMs: 50, uploadProcessingMs: 0, outputsProcessingMs: 0 } as const;

/** The user the main `token` belongs to unless `tokens` says otherwise. */
const OWNER = 'owner';

/** run.mdx "List Runs in a Workspace": the endpoint with its own per-minute limit. */
const RUNS_LIST = 'GET /api/v2/workspaces/:id/runs';

/** index.mdx "Lower rate limits for some endpoints": the notification verify action, 10 per minute. */
const VERIFY = `POST ${VERIFY_PATH}`;

/** index.mdx "Rate Limiting": the documented 429 body (its `status` is a number there, unlike elsewhere). */
const RATE_LIMIT_BODY = {
  errors: [{ detail: "You have exceeded the API's rate limit.", status: 429, title: 'Too many requests' }],
};

/** A faulted 429 tells the client to wait this long unless the rule sets its own headers. */
const FAULT_RESET_SECONDS = '0.1';

function toNow(clock: FakeClock | undefined): () => number {
  if (clock === undefined) return () => Date.now();
  return typeof clock === 'function' ? clock : () => clock.now();
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

function normalizePath(pathname: string): string {
  return pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new MalformedBodyError('the request body is not valid JSON');
  }
}

function faultReply(reply: FaultReply): Reply {
  const title = (STATUS_CODES[reply.status] ?? 'error').toLowerCase();
  const headers: Record<string, string> = {};
  if (reply.status === 429) {
    Object.assign(headers, { 'X-RateLimit-Limit': '30', 'X-RateLimit-Remaining': '0' });
    headers['X-RateLimit-Reset'] = FAULT_RESET_SECONDS;
  }
  Object.assign(headers, reply.headers);
  const body = reply.body ?? (reply.status === 429 ? RATE_LIMIT_BODY : errorReply(reply.status, title).body);
  return { status: reply.status, body, headers };
}

/** Turns a handler's exception into the JSON:API error TFC would send. */
function errorToReply(error: unknown): Reply {
  if (error instanceof InvalidAttributeError)
    return errorReply(422, error.title, error.detail, error.pointer);
  if (error instanceof WrongTypeError) return errorReply(409, 'conflict', error.message, '/data/type');
  if (error instanceof MalformedBodyError) return errorReply(400, 'bad request', error.message);
  const detail = error instanceof Error ? error.message : String(error);
  return errorReply(500, 'internal server error', detail);
}

interface Outcome {
  reply: Reply;
  answeredBy: FakeRequestLogEntry['answeredBy'];
}

class FakeTfcServer implements TfcFake {
  private readonly log: FakeRequestLogEntry[] = [];
  private readonly server: Server;
  private readonly users: ReadonlyMap<string, string>;
  private portNumber = 0;

  public constructor(
    private readonly options: TfcFakeOptions,
    private readonly store: Store,
    private readonly faults: FaultQueue,
    private readonly limiter: RateLimiter,
    private readonly runsListLimiter: RateLimiter,
    private readonly verifyLimiter: RateLimiter,
    private readonly hub: NotificationHub,
  ) {
    this.users = new Map([[options.token, OWNER], ...Object.entries(options.tokens ?? {})]);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify(errorToReply(error).body));
      });
    });
  }

  public listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.portNumber = (this.server.address() as AddressInfo).port;
        this.store.baseUrl = this.url;
        resolve();
      });
    });
  }

  public get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  public get port(): number {
    return this.portNumber;
  }

  public get organization(): string {
    return this.options.organization;
  }

  public get token(): string {
    return this.options.token;
  }

  public get requests(): readonly FakeRequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  public get workspaces(): readonly FakeWorkspaceView[] {
    this.store.advance();
    return [...this.store.workspaces.values()].map((ws) => this.store.workspaceView(ws));
  }

  public get runs(): readonly FakeRunView[] {
    this.store.advance();
    return [...this.store.runs.values()].map((run) => this.store.runView(run));
  }

  public get configurationVersions(): readonly FakeConfigurationVersionView[] {
    this.store.advance();
    return [...this.store.configurationVersions.values()].map((cv) =>
      this.store.configurationVersionView(cv),
    );
  }

  public get pendingFaults(): number {
    return this.faults.pending;
  }

  public workspace(name: string): FakeWorkspaceView | undefined {
    return this.workspaces.find((ws) => ws.name === name);
  }

  public get maxConcurrentRuns(): number {
    return this.store.maxConcurrentRuns;
  }

  public runsExecutingAt(at?: number): number {
    this.store.advance();
    return this.store.executingAt(at ?? this.store.now(), this.store.runs.values());
  }

  public get peakExecutingRuns(): number {
    this.store.advance();
    return this.store.peakExecuting();
  }

  public peakRequestsPerSecond(user?: string): number {
    const times = this.log
      .filter((entry) => entry.user !== 'archivist' && (user === undefined || entry.user === user))
      .map((entry) => entry.rateAt)
      .sort((a, b) => a - b);
    let peak = 0;
    let start = 0;
    times.forEach((at, end) => {
      while ((times[start] ?? at) <= at - 1000) start += 1;
      peak = Math.max(peak, end - start + 1);
    });
    return peak;
  }

  public requestsPerSecond(user?: string): number[] {
    const entries = this.log.filter(
      (entry) => entry.user !== 'archivist' && (user === undefined || entry.user === user),
    );
    const first = this.log[0]?.rateAt ?? 0;
    const counts: number[] = [];
    for (const entry of entries) {
      const second = Math.floor((entry.rateAt - first) / 1000);
      while (counts.length <= second) counts.push(0);
      counts[second] = (counts[second] ?? 0) + 1;
    }
    return counts;
  }

  public hideWorkspace(workspace: string, ...tokens: readonly string[]): void {
    const ws = this.store.workspaces.get(workspace) ?? this.store.workspaceByName(workspace);
    if (ws === undefined) throw new Error(`no workspace ${workspace}`);
    for (const token of tokens.length > 0 ? tokens : [this.options.token]) ws.hiddenFrom.add(token);
  }

  public archiveConfigurationVersion(id: string): void {
    const cv = this.store.configurationVersions.get(id);
    if (cv === undefined) throw new Error(`no configuration version ${id}`);
    this.store.archive(cv);
  }

  public get projects(): readonly FakeProjectView[] {
    return [...this.store.projects.values()].map((project) => ({
      id: project.id,
      name: project.name,
      workspaceIds: this.store.projectWorkspaces(project.id).map((ws) => ws.id),
    }));
  }

  public get variableSets(): readonly FakeVariableSetView[] {
    return [...this.store.variableSets.values()].map((set) => ({
      id: set.id,
      name: set.name,
      global: set.global,
      workspaceIds: [...set.workspaceIds],
      variables: set.variables.map(({ id, key, value, description, category, hcl, sensitive }) => ({
        id,
        key,
        value,
        description,
        category,
        hcl,
        sensitive,
      })),
    }));
  }

  public get notificationConfigurations(): readonly FakeNotificationConfigurationView[] {
    return [...this.store.notificationConfigurations.values()].map((nc) => ({
      id: nc.id,
      subscribable: { ...nc.subscribable },
      name: nc.name,
      destinationType: nc.destinationType,
      url: nc.url,
      token: nc.token,
      triggers: [...nc.triggers],
      enabled: nc.enabled,
    }));
  }

  public get notificationDeliveries(): readonly FakeNotificationDelivery[] {
    return this.hub.sent;
  }

  public dropNotifications(drop: boolean | ((intent: FakeNotificationIntent) => boolean)): void {
    this.hub.setDrop(drop);
  }

  public settleNotifications(): Promise<void> {
    return this.hub.settle();
  }

  public run(id: string): FakeRunView | undefined {
    return this.runs.find((run) => run.id === id);
  }

  public countBy(pattern: RequestPattern, user?: string): number {
    return this.log.filter(
      (entry) =>
        (user === undefined || entry.user === user) && matchesRequest(pattern, entry.method, entry.path),
    ).length;
  }

  public injectFault(...rules: readonly FaultRule[]): void {
    this.faults.add(rules);
  }

  public clearFaults(): void {
    this.faults.clear();
  }

  public clearRequests(): void {
    this.log.length = 0;
  }

  public goOffline(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error === undefined ? resolve() : reject(error)));
      this.server.closeAllConnections();
    });
  }

  public goOnline(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.portNumber, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  public close(): Promise<void> {
    this.hub.close();
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error === undefined ? resolve() : reject(error)));
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = normalizePath(url.pathname);
    const info: FakeRequestInfo = { method, path, query: url.searchParams, headers: req.headers };
    const rateAt = this.limiterNow();
    this.store.advance();
    const { reply, answeredBy } = await this.answer(req, info, rawBody);
    this.send(res, reply);
    // What the request changed (a confirmed or discarded run) is seen at once, notifications included.
    this.store.advance();
    this.log.push({
      method,
      path,
      query: url.search,
      status: reply.status,
      at: this.store.now(),
      answeredBy,
      user: path.startsWith('/api/') ? this.userOf(req) : 'archivist',
      rateAt,
    });
  }

  private limiterNow(): number {
    return toNow(this.options.rateLimitClock)();
  }

  /** index.mdx: requests count against the token's user; unauthenticated ones against the address. */
  private userOf(req: IncomingMessage): string {
    const token = bearerToken(req);
    const user = token === undefined ? undefined : this.users.get(token);
    return user ?? `ip:${req.socket.remoteAddress ?? 'unknown'}`;
  }

  private async answer(req: IncomingMessage, info: FakeRequestInfo, rawBody: Buffer): Promise<Outcome> {
    const fault = this.faults.take(info);
    if (fault !== undefined) return { reply: faultReply(fault), answeredBy: 'fault' };
    const match = findRoute(ROUTES, info.method, info.path);
    if (!info.path.startsWith('/api/')) {
      // The archivist (blob storage) is another service: no token, no API rate limit.
      return {
        reply: match === undefined ? notFound() : await this.dispatch(match, info, rawBody, undefined),
        answeredBy: 'api',
      };
    }
    const user = this.userOf(req);
    if (match?.route.public === true) {
      return {
        reply: this.withRateHeaders(await this.dispatch(match, info, rawBody, undefined), user),
        answeredBy: 'api',
      };
    }
    const limited = this.rateLimit(user, info);
    if (limited !== undefined) return { reply: limited, answeredBy: 'rate-limit' };
    return { reply: await this.authorizedDispatch(req, match, info, rawBody, user), answeredBy: 'api' };
  }

  private isRunsList(info: FakeRequestInfo): boolean {
    return matchesRequest(RUNS_LIST, info.method, info.path);
  }

  private isVerify(info: FakeRequestInfo): boolean {
    return matchesRequest(VERIFY, info.method, info.path);
  }

  /** The endpoint's own, lower limit on top of the per-second one, if it has one. */
  private endpointLimiter(info: FakeRequestInfo): RateLimiter | undefined {
    if (this.isRunsList(info)) return this.runsListLimiter;
    return this.isVerify(info) ? this.verifyLimiter : undefined;
  }

  /**
   * index.mdx "Rate Limiting": 30 requests/s per user (per IP when unauthenticated), a 429 with the
   * documented JSON body; the runs list also against its own 30 per minute (run.mdx).
   */
  private rateLimit(user: string, info: FakeRequestInfo): Reply | undefined {
    const decision = this.limiter.take(user);
    if (!decision.allowed) return tooManyRequests(decision);
    const endpoint = this.endpointLimiter(info);
    if (endpoint === undefined) return undefined;
    const endpointDecision = endpoint.take(user);
    return endpointDecision.allowed ? undefined : tooManyRequests(endpointDecision);
  }

  /**
   * index.mdx "Authentication": 401 for a missing or invalid token; 404 (not 403) for no permission.
   * A known path asked with another method answers 405 with `Allow` (assumed: the docs are silent).
   */
  private async authorizedDispatch(
    req: IncomingMessage,
    match: RouteMatch | undefined,
    info: FakeRequestInfo,
    rawBody: Buffer,
    user: string,
  ): Promise<Reply> {
    const token = bearerToken(req);
    if (token === undefined || !this.users.has(token)) return errorReply(401, 'unauthorized');
    if (match === undefined) {
      const allowed = allowedMethods(ROUTES, info.path);
      if (allowed.length === 0) return this.withRateHeaders(notFound(), user, info);
      const reply = errorReply(405, 'method not allowed', `${info.method} is not allowed on ${info.path}`);
      return this.withRateHeaders({ ...reply, headers: { Allow: allowed.join(', ') } }, user, info);
    }
    const org = match.params.org;
    if (org !== undefined && org !== this.options.organization)
      return this.withRateHeaders(notFound(), user, info);
    return this.withRateHeaders(await this.dispatch(match, info, rawBody, token), user, info);
  }

  /** The limit that applies to this request, what is left of it and when the window frees a slot. */
  private withRateHeaders(reply: Reply, user: string, info?: FakeRequestInfo): Reply {
    const limiter = (info === undefined ? undefined : this.endpointLimiter(info)) ?? this.limiter;
    if (!limiter.enabled) return reply;
    const state = limiter.peek(user);
    return {
      ...reply,
      headers: {
        'X-RateLimit-Limit': String(state.limit),
        'X-RateLimit-Remaining': String(state.remaining),
        'X-RateLimit-Reset': state.resetSeconds.toFixed(3),
        ...reply.headers,
      },
    };
  }

  private async dispatch(
    match: RouteMatch,
    info: FakeRequestInfo,
    rawBody: Buffer,
    token: string | undefined,
  ): Promise<Reply> {
    try {
      const body = match.route.rawBody === true ? undefined : parseJson(rawBody);
      return await match.route.handler({
        store: this.store,
        params: match.params,
        query: info.query,
        body,
        rawBody,
        token,
        notifications: this.hub,
      });
    } catch (error) {
      return errorToReply(error);
    }
  }

  private send(res: ServerResponse, reply: Reply): void {
    res.statusCode = reply.status;
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    if (reply.raw !== undefined) {
      res.setHeader('Content-Type', reply.contentType ?? 'application/octet-stream');
      res.end(reply.raw);
    } else if (reply.body !== undefined && reply.status !== 204) {
      res.setHeader('Content-Type', JSON_API);
      res.end(JSON.stringify(reply.body));
    } else {
      res.end();
    }
  }
}

/** A 429 as index.mdx documents it, with the limit that was hit. */
function tooManyRequests(decision: RateDecision): Reply {
  return {
    status: 429,
    body: RATE_LIMIT_BODY,
    headers: {
      'X-RateLimit-Limit': String(decision.limit),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': decision.resetSeconds.toFixed(3),
    },
  };
}

/** Starts a fake on 127.0.0.1 with an ephemeral port; `fake.url` is its base address. */
export async function startTfcFake(options: TfcFakeOptions): Promise<TfcFake> {
  const maxConcurrentRuns = options.maxConcurrentRuns ?? PLAN_CONCURRENCY[options.plan ?? 'standard'];
  if (!(maxConcurrentRuns >= 1))
    throw new Error(`maxConcurrentRuns must be at least 1, got ${maxConcurrentRuns}`);
  const store = new Store({
    organization: options.organization,
    now: toNow(options.clock),
    ids: new IdGenerator(options.seed ?? 0x7fc),
    terraformVersion: options.terraformVersion ?? '1.11.4',
    outputsProcessingMs: options.outputsProcessingMs ?? DEFAULT_TIMINGS.outputsProcessingMs,
    uploadProcessingMs: options.uploadProcessingMs ?? DEFAULT_TIMINGS.uploadProcessingMs,
    runDurationMs: options.runDurationMs ?? DEFAULT_TIMINGS.runDurationMs,
    maxConcurrentRuns,
    runOutcome: options.runOutcome,
    outputs: options.outputs,
    uploadOutcome: options.uploadOutcome,
  });
  const faults = new FaultQueue(options.faults ?? [], options.faultHook);
  const rateNow = toNow(options.rateLimitClock);
  const limiter = new RateLimiter(options.rateLimitPerSecond ?? 30, rateNow);
  const runsListLimiter = new RateLimiter(options.runsListRateLimitPerMinute ?? 30, rateNow, 60_000);
  const verifyLimiter = new RateLimiter(options.verifyRateLimitPerMinute ?? 10, rateNow, 60_000);
  const hub = new NotificationHub(store, options.notifications);
  const fake = new FakeTfcServer(options, store, faults, limiter, runsListLimiter, verifyLimiter, hub);
  await fake.listen();
  return fake;
}
