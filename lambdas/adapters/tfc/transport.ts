import type { Dispatcher, Headers, fetch as undiciFetch } from 'undici';
import { scrubText } from './scrub';

/**
 * The TFC client's HTTP transport: the platform's global `fetch`. In a function that is the undici built
 * into the Lambda runtime's Node, so no HTTP client is bundled (README "Function bundles"); its global
 * dispatcher keeps connections alive per origin.
 */

/**
 * The global `fetch`, described by undici's own types: Node's fetch is undici's (6.x in Node 20, 7.x in
 * Node 24), with its `dispatcher` init field, which the DOM types the build also loads do not know.
 */
const platformFetch = globalThis.fetch as unknown as typeof undiciFetch;

/** What one request came back with: TFC's answer, or the failure below HTTP that stopped it. */
export type Exchange =
  | { kind: 'response'; status: number; headers: Headers; text: string }
  | { kind: 'network'; error: Error; code: string | undefined };

export interface Outgoing {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  /** Values removed from a failure's message (the token, an upload URL). */
  secrets: readonly string[];
}

export interface TransportOptions {
  /** Longest wait for the answer's headers, then between two pieces of its body. */
  timeoutMs: number;
  /**
   * An undici dispatcher for Node's `fetch` (its non-standard `dispatcher` init field): tests pass a
   * `MockAgent`. Absent, the global dispatcher.
   */
  dispatcher?: Dispatcher | undefined;
}

/**
 * The codes undici's own `request()` gives the same two timeouts (its headersTimeout and bodyTimeout):
 * fetch has only the one signal, so the client times the two phases itself and names them alike.
 */
const HEADERS_TIMEOUT = 'UND_ERR_HEADERS_TIMEOUT';
const BODY_TIMEOUT = 'UND_ERR_BODY_TIMEOUT';

/** Failure codes (Node's sockets and DNS, fetch's undici) in words a person reads on the tenant. */
const FAILURE_WORDS: ReadonlyMap<string, string> = new Map([
  ['ECONNREFUSED', 'connection refused'],
  ['ENOTFOUND', 'host not found'],
  ['EAI_AGAIN', 'DNS lookup failed'],
  ['ECONNRESET', 'connection reset'],
  ['EPIPE', 'connection broken'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
  ['ETIMEDOUT', 'connection timed out'],
  ['UND_ERR_CONNECT_TIMEOUT', 'connect timed out'],
  ['UND_ERR_SOCKET', 'connection closed by the other side'],
]);

/** Failures before any byte of the request left: no connection was made. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** A failure's code in words: `connection refused`, `no answer within 30 s`, else `network error`. */
export function failureWords(code: string, timeoutMs: number): string {
  const seconds = timeoutMs / 1000;
  if (code === HEADERS_TIMEOUT) return `no answer within ${seconds} s`;
  if (code === BODY_TIMEOUT) return `answer stalled for ${seconds} s`;
  return FAILURE_WORDS.get(code) ?? 'network error';
}

/** Whether the request surely never reached the server, so even a POST may be sent again. */
export function neverSent(code: string | undefined): boolean {
  return code !== undefined && NOT_SENT.has(code);
}

/** The error undici's `request()` raised for the timeout, words and code. */
function timeoutError(code: string): Error {
  const words = code === HEADERS_TIMEOUT ? 'Headers Timeout Error' : 'Body Timeout Error';
  return Object.assign(new Error(words), { code });
}

/**
 * Sends one request and reads its whole answer. Redirects are not followed (`redirect: 'manual'`: Node's
 * fetch then hands over the 3xx itself), as with undici's `request()` before: a 3xx is TFC's answer, an
 * error. The endpoints the client calls list no 3xx among their answers (the "Status | Response | Reason"
 * table of each, e.g. run.mdx "Create a Run"), so a redirect is never followed with the bearer token.
 */
export async function exchange(out: Outgoing, options: TransportOptions): Promise<Exchange> {
  const { timeoutMs, dispatcher } = options;
  const abort = new AbortController();
  let phase = HEADERS_TIMEOUT;
  // Restarted on the headers and on every piece of the body: a slow but moving answer is not cut off.
  const timer = setTimeout(() => abort.abort(timeoutError(phase)), timeoutMs);
  try {
    const res = await platformFetch(out.url, {
      method: out.method,
      headers: out.headers,
      body: out.body ?? null,
      redirect: 'manual',
      signal: abort.signal,
      ...(dispatcher ? { dispatcher } : {}),
    });
    phase = BODY_TIMEOUT;
    timer.refresh();
    const text = await readText(res.body as AsyncIterable<Uint8Array> | null, () => timer.refresh());
    return { kind: 'response', status: res.status, headers: res.headers, text };
  } catch (error) {
    return { kind: 'network', ...failure(error, out.secrets) };
  } finally {
    clearTimeout(timer);
  }
}

/** The whole body as UTF-8 text; `onPiece` is called as each piece arrives. */
async function readText(body: AsyncIterable<Uint8Array> | null, onPiece: () => void): Promise<string> {
  const pieces: Uint8Array[] = [];
  for await (const piece of body ?? []) {
    pieces.push(piece);
    onPiece();
  }
  return Buffer.concat(pieces).toString('utf8');
}

/** The error and what it wraps: fetch's `TypeError('fetch failed')` holds the socket's error as `cause`. */
function* wrapped(error: unknown): Generator<object> {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 10; seen += 1) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null) continue;
    yield next;
    const { cause, errors } = next as { cause?: unknown; errors?: unknown };
    queue.push(cause, ...(Array.isArray(errors) ? (errors as unknown[]) : []));
  }
}

/**
 * What failed, with no secret in it: the first error in the chain that carries a code (a socket's
 * `connect ECONNREFUSED 10.0.0.5:443`, an `AggregateError`'s first attempt, a timeout), else every message
 * in the chain. Duck-typed: errors raised by Node's own fetch come from another realm under jest.
 */
function failure(error: unknown, secrets: readonly string[]): { error: Error; code: string | undefined } {
  const chain = [...wrapped(error)] as Array<{ message?: unknown; code?: unknown; name?: unknown }>;
  const coded = chain.find((e) => typeof e.code === 'string');
  const said = coded
    ? String(coded.message)
    : chain
        .map((e) => (typeof e.message === 'string' ? e.message : ''))
        .filter(Boolean)
        .join(': ') || String(error);
  const copy = new Error(scrubText(said, { secrets }));
  const named = coded ?? chain[0];
  copy.name = typeof named?.name === 'string' ? named.name : 'Error';
  return { error: copy, code: typeof coded?.code === 'string' ? coded.code : undefined };
}
