/**
 * An in-process fake of the HCP Terraform / Terraform Cloud API, served over real HTTP on 127.0.0.1.
 *
 * Built from hashicorp/terraform-docs-common `cloud-docs/api-docs` (workspaces, workspace-variables,
 * configuration-versions, run, plans, applies, state-version-outputs, index for authentication, 404
 * semantics and rate limiting) and checked against hashicorp/go-tfe. Request pipeline:
 * fault injection → rate limit (per token) → bearer auth (401) → organization check (404) → endpoint.
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
  errorReply,
  notFound,
  type Reply,
} from './jsonapi';
import { matchesRequest } from './patterns';
import { RateLimiter } from './rate-limiter';
import { findRoute, type Route, type RouteMatch } from './router';
import { configurationVersionRoutes } from './routes-configuration-versions';
import { outputRoutes } from './routes-outputs';
import { runRoutes } from './routes-runs';
import { variableRoutes } from './routes-vars';
import { workspaceRoutes } from './routes-workspaces';
import { Store } from './store';
import type {
  FakeClock,
  FakeConfigurationVersionView,
  FakeRequestInfo,
  FakeRequestLogEntry,
  FakeRunView,
  FakeWorkspaceView,
  FaultReply,
  FaultRule,
  RequestPattern,
  TfcFake,
  TfcFakeOptions,
} from './types';

export type {
  FakeClock,
  FakeConfigurationVersionView,
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
];

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
  private portNumber = 0;

  public constructor(
    private readonly options: TfcFakeOptions,
    private readonly store: Store,
    private readonly faults: FaultQueue,
    private readonly limiter: RateLimiter,
  ) {
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

  public run(id: string): FakeRunView | undefined {
    return this.runs.find((run) => run.id === id);
  }

  public countBy(pattern: RequestPattern): number {
    return this.log.filter((entry) => matchesRequest(pattern, entry.method, entry.path)).length;
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

  public close(): Promise<void> {
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
    this.store.advance();
    const { reply, answeredBy } = this.answer(req, info, rawBody);
    this.send(res, reply);
    this.log.push({
      method,
      path,
      query: url.search,
      status: reply.status,
      at: this.store.now(),
      answeredBy,
    });
  }

  private answer(req: IncomingMessage, info: FakeRequestInfo, rawBody: Buffer): Outcome {
    const fault = this.faults.take(info);
    if (fault !== undefined) return { reply: faultReply(fault), answeredBy: 'fault' };
    const match = findRoute(ROUTES, info.method, info.path);
    if (!info.path.startsWith('/api/')) {
      // The archivist (blob storage) is another service: no token, no API rate limit.
      return {
        reply: match === undefined ? notFound() : this.dispatch(match, info, rawBody),
        answeredBy: 'api',
      };
    }
    if (match?.route.public === true) {
      return { reply: this.withRateHeaders(this.dispatch(match, info, rawBody)), answeredBy: 'api' };
    }
    const limited = this.rateLimit(req);
    if (limited !== undefined) return { reply: limited, answeredBy: 'rate-limit' };
    return { reply: this.authorizedDispatch(req, match, info, rawBody), answeredBy: 'api' };
  }

  /** index.mdx: 30 requests/s per user (per IP when unauthenticated); 429 carries X-RateLimit-Reset. */
  private rateLimit(req: IncomingMessage): Reply | undefined {
    const key = bearerToken(req) ?? `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    const decision = this.limiter.take(key);
    if (decision.allowed) return undefined;
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

  /** index.mdx "Authentication": 401 for a missing or invalid token; 404 (not 403) for no permission. */
  private authorizedDispatch(
    req: IncomingMessage,
    match: RouteMatch | undefined,
    info: FakeRequestInfo,
    rawBody: Buffer,
  ): Reply {
    if (bearerToken(req) !== this.options.token) return errorReply(401, 'unauthorized');
    if (match === undefined) return notFound();
    const org = match.params.org;
    if (org !== undefined && org !== this.options.organization) return notFound();
    const reply = this.dispatch(match, info, rawBody);
    return this.withRateHeaders(reply);
  }

  private withRateHeaders(reply: Reply): Reply {
    if (!this.limiter.enabled) return reply;
    return {
      ...reply,
      headers: { 'X-RateLimit-Limit': String(this.options.rateLimitPerSecond ?? 30), ...reply.headers },
    };
  }

  private dispatch(match: RouteMatch, info: FakeRequestInfo, rawBody: Buffer): Reply {
    try {
      const body = match.route.rawBody === true ? undefined : parseJson(rawBody);
      return match.route.handler({
        store: this.store,
        params: match.params,
        query: info.query,
        body,
        rawBody,
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

/** Starts a fake on 127.0.0.1 with an ephemeral port; `fake.url` is its base address. */
export async function startTfcFake(options: TfcFakeOptions): Promise<TfcFake> {
  const store = new Store({
    organization: options.organization,
    now: toNow(options.clock),
    ids: new IdGenerator(options.seed ?? 0x7fc),
    terraformVersion: options.terraformVersion ?? '1.11.4',
    outputsProcessingMs: options.outputsProcessingMs ?? 0,
    uploadProcessingMs: options.uploadProcessingMs ?? 0,
    runDurationMs: options.runDurationMs ?? 50,
    runOutcome: options.runOutcome,
    outputs: options.outputs,
    uploadOutcome: options.uploadOutcome,
  });
  const faults = new FaultQueue(options.faults ?? [], options.faultHook);
  const limiter = new RateLimiter(options.rateLimitPerSecond ?? 30, toNow(options.rateLimitClock));
  const fake = new FakeTfcServer(options, store, faults, limiter);
  await fake.listen();
  return fake;
}
