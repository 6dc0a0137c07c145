import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_ROUTES } from '../core/api-routes';
import { MAX_BODY_BYTES } from '../core/api-schema';
import { errorResponse, json, type ApiEvent, type ApiResult } from '../handlers/api/http';
import type { TenantApi } from '../handlers/api/tenant-api';

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

/** A malformed escape is passed on as is, for the handler to reject as a bad parameter (400, not 500). */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
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
  res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
  res.end(result.body);
}

/** Turns a node request into the proxy event API Gateway would deliver. */
export async function toApiEvent(
  req: IncomingMessage,
  url: URL,
  pathParameters: Record<string, string> | null,
): Promise<ApiEvent> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[key] = value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  return {
    body: await readBody(req),
    isBase64Encoded: false,
    headers,
    pathParameters,
    queryStringParameters: url.searchParams.size ? query : null,
    requestContext: { identity: { caller: 'local', userArn: null } },
  };
}

export interface LocalApiServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The tenant API on a local HTTP server: same routes, bodies and errors as the private REST API. */
export async function startApiServer(
  api: TenantApi,
  options: { host: string; port: number },
  local: LocalRoutes = {},
): Promise<LocalApiServer> {
  const ROUTES = routes(api, local);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (req.method === 'GET' && url.pathname === '/healthz')
          return send(res, json(200, { status: 'ok' }));
        const matches = ROUTES.filter((r) => r.pattern.test(url.pathname));
        const route = matches.find((r) => r.method === req.method);
        if (!route) {
          req.resume();
          const status = matches.length ? 405 : 404;
          const code = matches.length ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND';
          return send(
            res,
            json(status, { error: { code, message: `${req.method ?? ''} ${url.pathname} is not a route` } }),
          );
        }
        const values = route.pattern.exec(url.pathname)?.slice(1) ?? [];
        const pathParameters = route.params.length
          ? Object.fromEntries(route.params.map((name, i) => [name, decodePathSegment(values[i] ?? '')]))
          : null;
        send(res, await route.handler(await toApiEvent(req, url, pathParameters)));
      } catch (error) {
        send(res, errorResponse(error));
      }
    })();
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
