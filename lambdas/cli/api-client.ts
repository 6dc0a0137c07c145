import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { TenantStatus } from '../core/lifecycle';
import type { TenantView } from '../core/tenant';
import type { TenantCode } from '../core/tenant-code';
import { TENANT_FIELD_SCHEMAS, TenantErrorSchema, TenantRetrySchema } from '../core/tenant-row';
import type { Command } from './args';
import { ApiAnswerError, ConnectionError } from './errors';
import {
  RolloutPageSchema,
  RolloutViewSchema,
  type RolloutAction,
  type RolloutPage,
  type RolloutView,
  type StartRolloutBody,
} from './rollout';
import type { Signer } from './sigv4';
import { endpointText, stagePath, type Target } from './target';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RetryOptions {
  /** Attempts per request, the first included. @default 3 */
  maxAttempts: number;
  /** Wait before the first retry, doubled for each further one. @default 250 */
  baseDelayMs: number;
}

export interface ApiClientOptions {
  target: Target;
  /** undici dispatcher: a keep-alive {@link Agent} in use, a `MockAgent` in tests. */
  dispatcher: Dispatcher;
  signer: Signer;
  /** Sent with every write, so retrying one (here or by rerunning the command) cannot start two flows. */
  idempotencyKey: string;
  sleep: (ms: number) => Promise<void>;
  retry?: RetryOptions;
  /** @default 30000 */
  requestTimeoutMs?: number;
}

export type CreateBody = Extract<Command, { kind: 'create' }>['body'] & { tenantCode: TenantCode };
export type UpdateBody = Extract<Command, { kind: 'update' }>['changes'];

export interface ListQuery {
  status?: TenantStatus;
  moduleVersion?: string;
  limit?: number;
  nextToken?: string;
}

/** `GET /fleet`; unknown fields pass through for `--json`. */
export const FleetSchema = z.looseObject({
  currentModuleVersion: z.string(),
  total: z.number(),
  byStatus: z.record(z.string(), z.number()),
  byModuleVersion: z.record(z.string(), z.number()),
  behind: z.number(),
});
export type Fleet = z.infer<typeof FleetSchema>;

export interface TenantPage {
  items: TenantView[];
  nextToken?: string;
}

const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, baseDelayMs: 250 };
/** API Gateway and the local server answer these when the backend is briefly unavailable. */
const RETRY_STATUSES = new Set([502, 503, 504]);

/** The fields the CLI reads; the rest passes through untouched, so `--json` shows the whole answer. */
export const TenantViewSchema: z.ZodType<TenantView> = z.looseObject({
  tenantCode: z.string(),
  ...TENANT_FIELD_SCHEMAS,
  decommissionDate: z.string().nullable(),
  workspaceId: z.string().nullable(),
  run: z.object({ id: z.string(), status: z.string().nullable(), link: z.string().optional() }).nullable(),
  queuedSince: z.string().nullable().default(null),
  retrying: TenantRetrySchema.nullable().default(null),
  outputs: z.record(z.string(), z.unknown()),
  sensitiveOutputs: z.array(z.string()),
  moduleVersion: z.string().nullable().default(null),
  lastError: TenantErrorSchema.nullable(),
  requestedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const PageSchema = z.object({ items: z.array(TenantViewSchema), nextToken: z.string().optional() });

/** One entry of `GET /tenants/{code}/history`; unknown fields and kinds pass through for `--json`. */
export const HistoryItemSchema = z.looseObject({
  at: z.string(),
  kind: z.string(),
  flowId: z.string().optional(),
  action: z.string().optional(),
  requestedBy: z.string().optional(),
  changes: z.unknown().optional(),
  runId: z.string().optional(),
  status: z.string().optional(),
  link: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  reason: z.string().optional(),
});
export type HistoryItem = z.infer<typeof HistoryItemSchema>;

export interface HistoryPage {
  items: HistoryItem[];
  nextToken?: string;
}

const HistoryPageSchema = z.object({ items: z.array(HistoryItemSchema), nextToken: z.string().optional() });
/** What the local ops routes answer: the job's summary, shown as it is. */
const SummarySchema = z.record(z.string(), z.unknown());

const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
/** What API Gateway itself answers (missing or bad signature, throttling): `{ "message": … }`. */
const GatewayErrorSchema = z.union([
  z.object({ message: z.string() }),
  z.object({ Message: z.string() }).transform((b) => ({ message: b.Message })),
]);

type Attempt = { kind: 'answer'; status: number; text: string } | { kind: 'network'; error: unknown };

/** A keep-alive connection pool with a short connect timeout (a private API is either there or not). */
export function defaultDispatcher(): Agent {
  return new Agent({ keepAliveTimeout: 10_000, connections: 4, connect: { timeout: 5_000 } });
}

/** The tenant API over HTTP: JSON in and out, signed when the target says so, a few retries. */
export class TenantApiClient {
  private readonly retry: RetryOptions;

  public constructor(private readonly options: ApiClientOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** The endpoint as the operator knows it, for messages. */
  public get endpoint(): string {
    return endpointText(this.options.target);
  }

  public create(body: CreateBody): Promise<TenantView> {
    return this.tenant('POST', '/tenants', body);
  }

  public get(code: TenantCode): Promise<TenantView> {
    return this.tenant('GET', `/tenants/${code}`);
  }

  public update(code: TenantCode, changes: UpdateBody): Promise<TenantView> {
    return this.tenant('PATCH', `/tenants/${code}`, changes);
  }

  public delete(code: TenantCode): Promise<TenantView> {
    return this.tenant('DELETE', `/tenants/${code}`);
  }

  public async list(query: ListQuery): Promise<TenantPage> {
    const params = {
      ...(query.status ? { status: query.status } : {}),
      ...(query.moduleVersion ? { moduleVersion: query.moduleVersion } : {}),
      ...(query.limit === undefined ? {} : { limit: String(query.limit) }),
      ...(query.nextToken ? { nextToken: query.nextToken } : {}),
    };
    const answer = await this.send('GET', '/tenants', params);
    return parseAnswer(answer, PageSchema, 'a page of tenants');
  }

  /** The current module version and the tenants per status and per module version. */
  public async fleet(): Promise<Fleet> {
    const answer = await this.send('GET', '/fleet', {});
    return parseAnswer(answer, FleetSchema, 'a fleet summary');
  }

  /** Starts a rollout of a module version over a selection of tenants (`202`). */
  public async startRollout(body: StartRolloutBody): Promise<RolloutView> {
    const answer = await this.send('POST', '/rollouts', {}, body);
    return parseAnswer(answer, RolloutViewSchema, 'a rollout');
  }

  public async rollout(id: string): Promise<RolloutView> {
    const answer = await this.send('GET', `/rollouts/${id}`, {});
    return parseAnswer(answer, RolloutViewSchema, 'a rollout');
  }

  /** Rollouts, newest first. */
  public async rollouts(query: Pick<ListQuery, 'limit' | 'nextToken'>): Promise<RolloutPage> {
    const answer = await this.send('GET', '/rollouts', pageParams(query));
    return parseAnswer(answer, RolloutPageSchema, 'a page of rollouts');
  }

  /** Pauses, resumes or cancels a rollout (no body; `202`). */
  public async rolloutAction(id: string, action: RolloutAction): Promise<RolloutView> {
    const answer = await this.send('POST', `/rollouts/${id}/${action}`, {});
    return parseAnswer(answer, RolloutViewSchema, 'a rollout');
  }

  /** A tenant's requests, runs and status changes, newest first. */
  public async history(code: TenantCode, query: Omit<ListQuery, 'status'>): Promise<HistoryPage> {
    const answer = await this.send('GET', `/tenants/${code}/history`, pageParams(query));
    return parseAnswer(answer, HistoryPageSchema, 'a page of history');
  }

  /** The full output of one Terraform run (local control plane only), as text. */
  public async runLog(code: TenantCode, runId: string): Promise<string> {
    const answer = await this.send('GET', `/tenants/${code}/runs/${encodeURIComponent(runId)}/log`, {});
    return answer.text;
  }

  /** Runs a scheduled job now (local control plane only); answers its summary. */
  public async ops(name: 'decommission' | 'reconcile', dryRun: boolean): Promise<Record<string, unknown>> {
    const answer = await this.send('POST', `/ops/${name}`, dryRun ? { dryRun: 'true' } : {});
    return parseAnswer(answer, SummarySchema, 'a summary');
  }

  private async tenant(method: Method, path: string, body?: unknown): Promise<TenantView> {
    const answer = await this.send(method, path, {}, body);
    return parseAnswer(answer, TenantViewSchema, 'a tenant');
  }

  private async send(
    method: Method,
    path: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    const url = this.url(path, query);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = this.headers(method, url, payload);
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.attempt(method, url, headers, payload);
      if (attempt >= this.retry.maxAttempts || !isRetryable(outcome)) return this.settle(outcome);
      await this.options.sleep(this.retry.baseDelayMs * 2 ** (attempt - 1));
    }
  }

  private url(path: string, query: Record<string, string>): URL {
    const url = new URL(this.options.target.baseUrl);
    url.pathname = `${stagePath(this.options.target)}${path}`;
    url.search = Object.entries(query)
      .map(([key, value]) => `${rfc3986(key)}=${rfc3986(value)}`)
      .join('&');
    return url;
  }

  private headers(method: Method, url: URL, payload: string | undefined): Record<string, string> {
    return {
      host: this.options.target.hostHeader ?? url.host,
      accept: 'application/json',
      'user-agent': 'tenantctl',
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'idempotency-key': this.options.idempotencyKey }),
    };
  }

  /** One try; signed afresh each time, since a signature carries its time. */
  private async attempt(
    method: Method,
    url: URL,
    headers: Record<string, string>,
    payload: string | undefined,
  ): Promise<Attempt> {
    const signed = await this.options.signer({ method, url, headers, ...(payload ? { body: payload } : {}) });
    const timeout = this.options.requestTimeoutMs ?? 30_000;
    try {
      const res = await request(url, {
        method,
        headers: signed,
        body: payload,
        dispatcher: this.options.dispatcher,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      return { kind: 'answer', status: res.statusCode, text: await res.body.text() };
    } catch (error) {
      return { kind: 'network', error };
    }
  }

  private settle(outcome: Attempt): { status: number; text: string } {
    if (outcome.kind === 'network') {
      throw new ConnectionError(this.endpoint, this.options.target.loopback, { cause: outcome.error });
    }
    if (outcome.status >= 200 && outcome.status < 300) return outcome;
    throw errorAnswer(outcome.status, outcome.text);
  }
}

function pageParams(query: Pick<ListQuery, 'limit' | 'nextToken'>): Record<string, string> {
  return {
    ...(query.limit === undefined ? {} : { limit: String(query.limit) }),
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  };
}

function isRetryable(outcome: Attempt): boolean {
  return outcome.kind === 'network' || RETRY_STATUSES.has(outcome.status);
}

/** Percent-encoding as SigV4 canonicalizes it, so the query sent is the query signed. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseAnswer<T>(answer: { status: number; text: string }, schema: z.ZodType<T>, what: string): T {
  const parsed = schema.safeParse(parseJson(answer.text));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'not JSON';
  throw new ApiAnswerError(
    answer.status,
    'UNEXPECTED_RESPONSE',
    `the API answered ${answer.status} but not with ${what} (${where})`,
  );
}

/** The typed error for a non-2xx answer, whichever layer (API or gateway) produced it. */
export function errorAnswer(status: number, text: string): ApiAnswerError {
  const body = parseJson(text);
  const api = ErrorBodySchema.safeParse(body);
  if (api.success) {
    const { code, message, details } = api.data.error;
    return new ApiAnswerError(status, code, message, details);
  }
  const gateway = GatewayErrorSchema.safeParse(body);
  const message = gateway.success ? gateway.data.message : text.trim().slice(0, 200) || 'no message';
  return new ApiAnswerError(status, `HTTP_${status}`, message);
}
