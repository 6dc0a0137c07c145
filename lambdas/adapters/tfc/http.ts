import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import * as z from 'zod';
import {
  TfcApiError,
  TfcNetworkError,
  TfcNotFoundError,
  TfcResponseValidationError,
  TfcRetriesExhaustedError,
  TfcUnauthorizedError,
  type JsonApiErrorObject,
  type RequestLabel,
  type TfcError,
} from './errors';
import { readToken, type TokenProvider } from './token';
import { exchange, failureWords, neverSent, type Exchange } from './transport';
import { TFC_RETRY_LOG_MESSAGE } from '../../core/telemetry';
import type { RateBucket, RateBudget } from '../../core/rate-budget';
import type { RetryNotice } from '../../core/retry-reporting';

/** Structured logger; Powertools' `Logger` fits. Attributes never carry tokens, values or upload URLs. */
export interface TfcLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
}

export interface RetryOptions {
  /** Total attempts per request, the first included. @default 5 */
  maxAttempts?: number;
  /** First backoff step; also bounds the jitter added to a 429's reset time. @default 250 */
  baseDelayMs?: number;
  /** Largest backoff step for 5xx and network errors. @default 8000 */
  maxDelayMs?: number;
  /**
   * Longest total wait on 429s for one request. A 429 is waited out inside the client (it does not
   * count as an attempt), so the task around it is never replayed for it; past this, the request fails
   * as retries exhausted. @default 90000 (a runs-list window is up to 60 s)
   */
  maxRateLimitWaitMs?: number;
}

export interface HttpOptions {
  address: string;
  token: TokenProvider;
  /** undici dispatcher handed to `fetch` (tests pass a `MockAgent`); absent, the global one. */
  dispatcher?: Dispatcher | undefined;
  retry: Required<RetryOptions>;
  requestTimeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  logger: TfcLogger | undefined;
  /**
   * The TFC user's request budget, shared with every other client of that user (other flows, other
   * Lambda instances); absent, requests go out as fast as they are made.
   */
  budget?: RateBudget;
  /**
   * Told of every attempt that failed with a network error or a 5xx and will be retried, before the wait
   * (and of the last one, when the request gives up). Never of a 429: waiting for the rate limit is not
   * an outage. Its failure is logged and ignored; the wait runs alongside it.
   */
  onRetry?: (notice: RetryNotice) => Promise<void>;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

export interface ApiRequest {
  method: Method;
  /** Path under the address, starting with `/api/v2/`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /**
   * Whether repeating the request after a 5xx or a mid-flight network error is harmless. A 429 and a
   * failed connect are always retried (TFC never processed them). @default method !== 'POST'
   */
  idempotent?: boolean;
  /**
   * Which of TFC's rate limits the request counts against: `runs-list` for listing a workspace's runs
   * (30 requests per minute, run.mdx), `api` for everything else (30 per second per user, index.mdx).
   * @default 'api'
   */
  bucket?: RateBucket;
}

export type { RateBucket } from '../../core/rate-budget';

export interface ApiResponse {
  status: number;
  body: unknown;
}

const JSON_API = 'application/vnd.api+json';
const ErrorBodySchema = z.object({
  errors: z.array(
    z.union([
      z.object({
        status: z.union([z.string(), z.number()]).optional(),
        title: z.string().optional(),
        detail: z.string().optional(),
      }),
      z.string().transform((detail): JsonApiErrorObject => ({ detail })),
    ]),
  ),
});

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxRateLimitWaitMs: 90_000,
};

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorObjects(body: unknown): JsonApiErrorObject[] {
  const parsed = ErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data.errors : [];
}

/** The typed error for a non-2xx answer. */
export function apiError(label: RequestLabel, status: number, body: unknown): TfcApiError {
  const errors = errorObjects(body);
  if (status === 404) return new TfcNotFoundError(label, errors);
  if (status === 401) return new TfcUnauthorizedError(label, errors);
  return new TfcApiError(label, status, errors);
}

/** Validates a 2xx body against the documented shape (only the fields the client reads). */
export function parseBody<T>(label: RequestLabel, schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new TfcResponseValidationError(label, issues);
}

/**
 * JSON:API transport: bearer auth, rate-limit and 5xx retries with capped exponential backoff and
 * jitter, typed errors. The token is read per attempt (the provider caches it) and never logged.
 */
export class TfcHttp {
  public constructor(private readonly options: HttpOptions) {}

  public async api(req: ApiRequest): Promise<ApiResponse> {
    const label = { method: req.method, path: req.path };
    const url = new URL(req.path, this.options.address);
    for (const [key, value] of Object.entries(req.query ?? {})) url.searchParams.set(key, value);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const idempotent = req.idempotent ?? req.method !== 'POST';
    const bucket = req.bucket ?? 'api';
    const budget = this.options.budget;
    const result = await this.withRetries(label, url.host, idempotent, async () => {
      if (budget) {
        if (bucket !== 'api') await budget.take(bucket);
        await budget.take('api');
      }
      const token = await readToken(this.options.token);
      const headers = { authorization: `Bearer ${token}`, accept: JSON_API, 'content-type': JSON_API };
      const attempt = await this.send(url, req.method, headers, body, [token]);
      // index.mdx "Rate limiting": the limit of the endpoint just called; the budget never plans above it.
      const limit = attempt.kind === 'response' ? attempt.headers.get('x-ratelimit-limit') : null;
      if (budget && limit !== null) budget.observeLimit(bucket, Number(limit));
      return attempt;
    });
    return { status: result.status, body: parseJson(result.text) };
  }

  /**
   * PUTs bytes to a one-time archivist URL. No Authorization header: the URL itself is the secret
   * (api-docs/index.mdx "Blob storage authentication"), so it is never logged either.
   */
  public async upload(uploadUrl: string, bytes: Buffer): Promise<void> {
    const label = { method: 'PUT', path: '<upload-url>' };
    const url = new URL(uploadUrl);
    const headers = { 'content-type': 'application/octet-stream' };
    const secrets = [uploadUrl, url.pathname];
    await this.withRetries(label, url.host, true, () => this.send(url, 'PUT', headers, bytes, secrets));
  }

  private async send(
    url: URL,
    method: Method,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    secrets: readonly string[],
  ): Promise<Exchange> {
    const { requestTimeoutMs: timeoutMs, dispatcher } = this.options;
    return exchange({ url, method, headers, body, secrets }, { timeoutMs, dispatcher });
  }

  private async withRetries(
    label: RequestLabel,
    host: string,
    idempotent: boolean,
    attemptOnce: () => Promise<Exchange>,
  ): Promise<{ status: number; text: string }> {
    const { maxAttempts, maxRateLimitWaitMs } = this.options.retry;
    let rateLimitedMs = 0;
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await attemptOnce();
      if (outcome.kind === 'response' && outcome.status === 429) {
        // TFC did not process the request: wait for the reset and send it again, without spending an
        // attempt, so a burst of 429s never fails (and replays) the task around the request.
        const delayMs = this.rateLimitDelay(outcome.headers, attempt);
        if (rateLimitedMs + delayMs <= maxRateLimitWaitMs) {
          rateLimitedMs += delayMs;
          // The retry log line with status 429: the dashboard's metric filter counts TFC 429s from it.
          this.options.logger?.warn(TFC_RETRY_LOG_MESSAGE, { ...label, attempt, delayMs, status: 429 });
          attempt -= 1;
          await this.options.sleep(delayMs);
          continue;
        }
        throw new TfcRetriesExhaustedError(label, attempt, 429, finalError(label, host, outcome));
      }
      if (outcome.kind === 'response' && outcome.status < 300) {
        this.options.logger?.debug('TFC request', { ...label, status: outcome.status, attempt });
        return outcome;
      }
      const delayMs = this.retryDelay(outcome, idempotent, attempt);
      if (delayMs === undefined) throw finalError(label, host, outcome);
      const notice = { reason: this.failureReason(outcome, host), attempt, maxAttempts };
      if (attempt >= maxAttempts) {
        // The flow's step retries the whole call: the tenant keeps showing why meanwhile.
        await this.notifyRetry(notice);
        const lastStatus = outcome.kind === 'response' ? outcome.status : undefined;
        throw new TfcRetriesExhaustedError(label, attempt, lastStatus, finalError(label, host, outcome));
      }
      this.options.logger?.warn(TFC_RETRY_LOG_MESSAGE, {
        ...label,
        attempt,
        delayMs,
        ...(outcome.kind === 'response' ? { status: outcome.status } : { networkError: outcome.code }),
      });
      await Promise.all([this.notifyRetry(notice), this.options.sleep(delayMs)]);
    }
  }

  private async notifyRetry(notice: RetryNotice): Promise<void> {
    try {
      await this.options.onRetry?.(notice);
    } catch (error) {
      this.options.logger?.warn('could not report a TFC retry', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Why an attempt failed, for the tenant's `retrying.reason`: words, code and host, never a secret. */
  private failureReason(outcome: Exchange, host: string): string {
    if (outcome.kind === 'response') {
      const text = STATUS_CODES[outcome.status];
      return `TFC answered ${outcome.status}${text ? ` ${text}` : ''} at ${host}`;
    }
    if (outcome.code === undefined) return `network error at ${host}`;
    return `${failureWords(outcome.code, this.options.requestTimeoutMs)} (${outcome.code}) at ${host}`;
  }

  /** Milliseconds to wait before retrying, or undefined when the failure is final. */
  private retryDelay(outcome: Exchange, idempotent: boolean, attempt: number): number | undefined {
    if (outcome.kind === 'network') {
      return idempotent || neverSent(outcome.code) ? this.backoff(attempt) : undefined;
    }
    if (outcome.status === 429) return this.rateLimitDelay(outcome.headers, attempt);
    if (outcome.status >= 500 && idempotent) return this.backoff(attempt);
    return undefined;
  }

  /** Capped exponential backoff with "equal jitter": half the step fixed, half random. */
  private backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.retry;
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + this.options.random() * (step / 2));
  }

  /**
   * 429: wait for `X-RateLimit-Reset` seconds (fractional, as go-tfe parses it) plus jitter, so that
   * parallel executions do not all come back at the same instant.
   */
  private rateLimitDelay(headers: Headers, attempt: number): number {
    const reset = Number.parseFloat(headers.get('x-ratelimit-reset') ?? '');
    if (!Number.isFinite(reset) || reset <= 0) return this.backoff(attempt);
    return Math.round(reset * 1000 + this.options.random() * this.options.retry.baseDelayMs);
  }
}

function finalError(label: RequestLabel, host: string, outcome: Exchange): TfcError {
  if (outcome.kind === 'network') return new TfcNetworkError(label, outcome.code, outcome.error, host);
  return apiError(label, outcome.status, parseJson(outcome.text));
}
