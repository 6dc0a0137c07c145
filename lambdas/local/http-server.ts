import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { API_ROUTES } from '../core/api-routes';
import { MAX_BODY_BYTES } from '../core/api-schema';
import {
  MAX_NOTIFICATION_BODY_BYTES,
  NOTIFICATION_SIGNATURE_HEADER,
  RUN_NOTIFICATION_PATH,
} from '../core/run-notification';
import { errorResponse, json, type ApiEvent, type ApiResult } from '../handlers/api/http';
import type { TenantApi } from '../handlers/api/tenant-api';
import type { NotificationAnswer, NotificationRequest } from '../use-cases/run-notifications';

/** Bodies beyond this are not even read; the API itself rejects anything over MAX_BODY_BYTES. */
const READ_LIMIT = MAX_BODY_BYTES * 4;

type Handler = (event: ApiEvent) => Promise<ApiResult>;

interface Route {
  method: string;
  pattern: RegExp;
  /** Names of the path template's parameters, in order. */
  params: string[];
  handler: Handler;
}

/** `/tenants/{code}/history` → a pattern capturing `code` (a trailing slash is tolerated). */
function compile(method: string, path: string, handler: Handler): Route {
  const params: string[] = [];
  const source = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { method, pattern: new RegExp(`^${source}/?$`), params, handler };
}

/** What the local server serves besides the API: its own routes, never deployed. */
export interface LocalRoutes {
  /** The OpenAPI document, at `GET /openapi.json`. */
  openApi?: unknown;
  /** A local Terraform run's full output, at `GET /tenants/{code}/runs/{runId}/log`; undefined when unknown. */
  runLog?: (tenantCode: string, runId: string) => Promise<string | undefined>;
}

function routes(api: TenantApi, local: LocalRoutes): Route[] {
  const table = API_ROUTES.map((r) => compile(r.method, r.path, (event) => api[r.name](event)));
  const notFound = (message: string) => json(404, { error: { code: 'NOT_FOUND', message } });
  return [
    ...table,
    compile('GET', '/openapi.json', () =>
      Promise.resolve(local.openApi ? json(200, local.openApi) : notFound('no OpenAPI document is loaded')),
    ),
    compile('GET', '/tenants/{code}/runs/{runId}/log', async (event) => {
      const { code = '', runId = '' } = event.pathParameters ?? {};
      const log = await local.runLog?.(code, runId);
      if (log === undefined) return notFound(`no log for run '${runId}' of tenant '${code}'`);
      return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: log };
    }),
  ];
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= READ_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size === 0) return resolve(null);
      // An oversize body is passed on truncated-but-oversize so the API answers its usual 400.
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, result: ApiResult): void {
  const body = Buffer.from(result.body);
  res.writeHead(result.statusCode, {
    ...(result.headers as Record<string, string>),
    'content-length': String(body.length),
  });
  res.end(body);
}

function errorResult(status: number, code: string, message: string): ApiResult {
  return json(status, { error: { code, message } });
}

/** Thrown for a request line the API cannot route: answered 400, never 500. */
class RequestTargetError extends Error {
  public constructor(
    public readonly code: 'INVALID_REQUEST_TARGET' | 'INVALID_PATH',
    message: string,
  ) {
    super(message);
    this.name = 'RequestTargetError';
  }
}

/** A request target as API Gateway sees it: a path (still percent-encoded) and its query. */
export interface RequestTarget {
  path: string;
  query: URLSearchParams;
}

/**
 * Splits an origin-form target (`/path?query`). Absolute-form (`http://host/path`, a proxy's form) and
 * asterisk-form are refused rather than resolved against a base, and so is a path with a malformed
 * percent-escape: both are the caller's mistake.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) {
    throw new RequestTargetError(
      'INVALID_REQUEST_TARGET',
      'the request target must be a path such as /tenants (origin-form)',
    );
  }
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  for (const segment of path.split('/')) decodeSegment(segment);
  return { path, query: new URLSearchParams(mark === -1 ? '' : target.slice(mark + 1)) };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestTargetError('INVALID_PATH', `malformed percent-escape in path segment '${segment}'`);
  }
}

/** Turns a node request into the proxy event API Gateway would deliver. */
export async function toApiEvent(
  req: IncomingMessage,
  target: RequestTarget,
  pathParameters: Record<string, string> | null,
): Promise<ApiEvent> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[key] = value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of target.query) query[key] = value;
  return {
    body: await readBody(req),
    isBase64Encoded: false,
    headers,
    pathParameters,
    queryStringParameters: target.query.size ? query : null,
    requestContext: { identity: { caller: 'local', userArn: null } },
  };
}

/** Node's HTTP parser errors, answered with the API's JSON error body instead of an empty 400. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): number {
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const code = status === 431 ? 'HEADERS_TOO_LARGE' : status === 408 ? 'REQUEST_TIMEOUT' : 'BAD_REQUEST';
  const body = JSON.stringify({
    error: { code, message: `the request could not be parsed as HTTP/1.1 (${error.code ?? 'unknown'})` },
  });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  } else {
    socket.destroy();
  }
  return status;
}

export interface LocalApiServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Local-only operations: what the scheduled functions do in AWS, on demand. */
export interface LocalOps {
  decommission(options: { dryRun: boolean }): Promise<unknown>;
  reconcile(): Promise<unknown>;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  /** Receives one line per request: method, path (no query: it may carry a page token), status, ms. */
  log?: (line: string) => void;
  /** Serves `POST /ops/decommission[?dryRun=true]` and `POST /ops/reconcile` (local mode only). */
  ops?: LocalOps;
  /**
   * The run notification receiver, served at `POST` RUN_NOTIFICATION_PATH: what the public function URL
   * serves in AWS. It authenticates each request itself (the notification's HMAC signature).
   */
  notifications?: (request: NotificationRequest) => Promise<NotificationAnswer>;
}

/**
 * Reads at most `limit + 1` bytes of a body and drains the rest unread: enough for the receiver to see that
 * a body is over its cap without holding it.
 */
function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    req.on('data', (chunk: Buffer) => {
      if (kept > limit) return;
      const part = chunk.subarray(0, limit + 1 - kept);
      chunks.push(part);
      kept += part.length;
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `POST` RUN_NOTIFICATION_PATH; undefined for any other path. */
async function notificationRoute(
  receive: ApiServerOptions['notifications'],
  req: IncomingMessage,
  target: RequestTarget,
): Promise<ApiResult | undefined> {
  if (!receive || target.path.replace(/\/$/, '') !== RUN_NOTIFICATION_PATH) return undefined;
  if (req.method !== 'POST') {
    req.resume();
    return errorResult(405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} ${target.path} is not a route`);
  }
  const header = req.headers[NOTIFICATION_SIGNATURE_HEADER];
  const body = await readRawBody(req, MAX_NOTIFICATION_BODY_BYTES);
  const answer = await receive({ body, ...(typeof header === 'string' ? { signature: header } : {}) });
  return { ...answer, headers: { 'content-type': 'application/json' } };
}

/** `POST /ops/decommission?dryRun=true|false` and `POST /ops/reconcile`; undefined for any other path. */
async function opsRoute(
  ops: LocalOps | undefined,
  method: string | undefined,
  target: RequestTarget,
): Promise<ApiResult | undefined> {
  const name = /^\/ops\/(decommission|reconcile)\/?$/.exec(target.path)?.[1];
  if (!ops || !name) return undefined;
  if (method !== 'POST')
    return errorResult(405, 'METHOD_NOT_ALLOWED', `${method ?? ''} ${target.path} is not a route`);
  if (name === 'reconcile') return json(200, await ops.reconcile());
  const dryRun = target.query.get('dryRun') ?? 'false';
  if (dryRun !== 'true' && dryRun !== 'false') {
    return errorResult(
      400,
      'VALIDATION_ERROR',
      `invalid query: dryRun must be true or false, not '${dryRun}'`,
    );
  }
  return json(200, await ops.decommission({ dryRun: dryRun === 'true' }));
}

/** The tenant API on a local HTTP server: same routes, bodies and errors as the private REST API. */
export async function startApiServer(
  api: TenantApi,
  options: ApiServerOptions,
  local: LocalRoutes = {},
): Promise<LocalApiServer> {
  const ROUTES = routes(api, local);
  const server = createServer((req, res) => {
    const started = performance.now();
    const rawPath = (req.url ?? '').split('?')[0] ?? '';
    res.once('finish', () =>
      options.log?.(
        `${req.method ?? '-'} ${rawPath} ${res.statusCode} ${Math.round(performance.now() - started)}ms`,
      ),
    );
    void (async () => {
      try {
        const target = parseRequestTarget(req.url);
        if (req.method === 'GET' && target.path === '/healthz') return send(res, json(200, { status: 'ok' }));
        const notification = await notificationRoute(options.notifications, req, target);
        if (notification) return send(res, notification);
        const ops = await opsRoute(options.ops, req.method, target);
        if (ops) {
          req.resume();
          return send(res, ops);
        }
        const matches = ROUTES.filter((r) => r.pattern.test(target.path));
        const route = matches.find((r) => r.method === req.method);
        if (!route) {
          req.resume();
          const status = matches.length ? 405 : 404;
          const code = matches.length ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND';
          return send(res, errorResult(status, code, `${req.method ?? ''} ${target.path} is not a route`));
        }
        const values = route.pattern.exec(target.path)?.slice(1) ?? [];
        const pathParameters = route.params.length
          ? Object.fromEntries(route.params.map((name, i) => [name, decodeSegment(values[i] ?? '')]))
          : null;
        send(res, await route.handler(await toApiEvent(req, target, pathParameters)));
      } catch (error) {
        req.resume();
        if (error instanceof RequestTargetError)
          return send(res, errorResult(400, error.code, error.message));
        send(res, errorResponse(error));
      }
    })();
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const status = answerClientError(error, socket);
    options.log?.(`- (unparsed request) ${status} 0ms`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
