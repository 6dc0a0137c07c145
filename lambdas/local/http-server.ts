import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES } from '../core/api-schema';
import { errorResponse, json, type ApiEvent, type ApiResult } from '../handlers/api/http';
import type { TenantApi } from '../handlers/api/tenant-api';

/** Bodies beyond this are not even read; the API itself rejects anything over MAX_BODY_BYTES. */
const READ_LIMIT = MAX_BODY_BYTES * 4;

type Route = {
  method: string;
  pattern: RegExp;
  handler: (api: TenantApi, event: ApiEvent) => Promise<ApiResult>;
};

/** The API Gateway routes of the deployed API, mapped to the same route functions. */
const ROUTES: Route[] = [
  { method: 'POST', pattern: /^\/tenants\/?$/, handler: (api, e) => api.create(e) },
  { method: 'GET', pattern: /^\/tenants\/?$/, handler: (api, e) => api.list(e) },
  { method: 'GET', pattern: /^\/tenants\/([^/]+)\/?$/, handler: (api, e) => api.get(e) },
  { method: 'PATCH', pattern: /^\/tenants\/([^/]+)\/?$/, handler: (api, e) => api.update(e) },
  { method: 'DELETE', pattern: /^\/tenants\/([^/]+)\/?$/, handler: (api, e) => api.delete(e) },
];

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
  code: string | undefined,
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
    pathParameters: code === undefined ? null : { code: decodeURIComponent(code) },
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
): Promise<LocalApiServer> {
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
        const code = route.pattern.exec(url.pathname)?.[1];
        send(res, await route.handler(api, await toApiEvent(req, url, code)));
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
