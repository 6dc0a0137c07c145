/**
 * The TFC client's transport over real sockets: Node's global `fetch` with no dispatcher injected, as in
 * a function. Timeouts, redirects, failure codes out of fetch's `cause`, keep-alive and the upload body.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  TfcApiError,
  TfcNetworkError,
  TfcRetriesExhaustedError,
} from '../../../../lambdas/adapters/tfc/errors';
import { DEFAULT_RETRY, TfcHttp } from '../../../../lambdas/adapters/tfc/http';
import type { RetryNotice } from '../../../../lambdas/core/retry-reporting';
import { TOKEN, caught } from './fixtures';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

let server: Server;
let handler: Handler;
let host: string;
const sockets = new Set<unknown>();

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.add(req.socket);
    const pieces: Buffer[] = [];
    req.on('data', (piece: Buffer) => pieces.push(piece));
    req.on('end', () => handler(req, Buffer.concat(pieces), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => sockets.clear());

/** A transport on the global fetch (no dispatcher), one attempt per request, recording retry notices. */
function transport(options: { address?: string; requestTimeoutMs?: number; maxAttempts?: number } = {}) {
  const notices: RetryNotice[] = [];
  const http = new TfcHttp({
    address: options.address ?? `http://${host}`,
    token: () => Promise.resolve(TOKEN),
    retry: { ...DEFAULT_RETRY, maxAttempts: options.maxAttempts ?? 1 },
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    logger: undefined,
    onRetry: (notice) => {
      notices.push(notice);
      return Promise.resolve();
    },
  });
  return { http, notices };
}

describe('TFC transport on the global fetch', () => {
  it('sends the bearer token and JSON:API body, and reuses the connection (keep-alive)', async () => {
    const seen: Array<{ auth?: string; type?: string; body: string }> = [];
    handler = (req, body, res) => {
      seen.push({
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        body: body.toString(),
      });
      res.writeHead(201, { 'content-type': 'application/vnd.api+json', 'x-ratelimit-limit': '30' });
      res.end(JSON.stringify({ data: { id: 'ws-1' } }));
    };
    const { http } = transport();

    const first = await http.api({
      method: 'POST',
      path: '/api/v2/things',
      body: { data: { type: 'things' } },
    });
    for (let i = 0; i < 5; i += 1) await http.api({ method: 'GET', path: '/api/v2/things/ws-1' });

    expect(first).toEqual({ status: 201, body: { data: { id: 'ws-1' } } });
    expect(seen[0]).toEqual({
      auth: `Bearer ${TOKEN}`,
      type: 'application/vnd.api+json',
      body: '{"data":{"type":"things"}}',
    });
    // Six requests: undici may open a second socket while the first is handed back, never one each.
    expect(sockets.size).toBeLessThan(3);
  });

  it('PUTs the upload bytes as they are, without the token', async () => {
    let received: { method?: string; auth?: string; type?: string; body: Buffer } | undefined;
    handler = (req, body, res) => {
      received = {
        method: req.method,
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        body,
      };
      res.end();
    };
    const bytes = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x7f]);

    await transport().http.upload(`http://${host}/_archivist/v1/object/dmF1bHQ6djE6c2VjcmV0`, bytes);

    expect(received).toEqual({
      method: 'PUT',
      auth: undefined,
      type: 'application/octet-stream',
      body: bytes,
    });
  });

  it('does not follow a redirect: a 3xx is the answer', async () => {
    const paths: string[] = [];
    handler = (req, _body, res) => {
      paths.push(req.url ?? '');
      res.writeHead(302, { location: '/api/v2/elsewhere' });
      res.end();
    };

    const error = await caught(transport().http.api({ method: 'GET', path: '/api/v2/things/1' }));

    expect(error).toBeInstanceOf(TfcApiError);
    expect(error).toMatchObject({ status: 302 });
    expect(paths).toEqual(['/api/v2/things/1']);
  });

  it('names no answer within the timeout', async () => {
    handler = () => undefined;
    const { http, notices } = transport({ requestTimeoutMs: 100 });

    const error = await caught(http.api({ method: 'GET', path: '/api/v2/things/1' }));

    expect(notices.map((n) => n.reason)).toEqual([
      `no answer within 0.1 s (UND_ERR_HEADERS_TIMEOUT) at ${host}`,
    ]);
    expect(error).toBeInstanceOf(TfcRetriesExhaustedError);
    expect(error.cause).toBeInstanceOf(TfcNetworkError);
    expect(error.cause).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  it('names an answer that stalls for the timeout', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.api+json' });
      res.write('{"data":');
    };
    const { http, notices } = transport({ requestTimeoutMs: 100 });

    const error = await caught(http.api({ method: 'GET', path: '/api/v2/things/1' }));

    expect(notices.map((n) => n.reason)).toEqual([
      `answer stalled for 0.1 s (UND_ERR_BODY_TIMEOUT) at ${host}`,
    ]);
    expect(error.cause).toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
  });

  it('lets a slow answer that keeps coming finish (the timeout is between pieces, not in total)', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.api+json' });
      const pieces = ['{"data":', '{"id":', '"ws-1"', '}}'];
      const next = (): void => {
        const piece = pieces.shift();
        if (piece === undefined) res.end();
        else {
          res.write(piece);
          setTimeout(next, 60);
        }
      };
      next();
    };

    const answer = await transport({ requestTimeoutMs: 150 }).http.api({ method: 'GET', path: '/api/v2/x' });

    expect(answer.body).toEqual({ data: { id: 'ws-1' } });
  });

  it("reads the socket's code and words from fetch's cause, and retries a refused connect", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { http, notices } = transport({ address: `http://127.0.0.1:${port}`, maxAttempts: 2 });

    // POST: not idempotent, so retried only because the connection was refused (nothing was sent).
    const error = await caught(http.api({ method: 'POST', path: '/api/v2/runs', body: {} }));

    const reason = `connection refused (ECONNREFUSED) at 127.0.0.1:${port}`;
    expect(notices).toEqual([
      { reason, attempt: 1, maxAttempts: 2 },
      { reason, attempt: 2, maxAttempts: 2 },
    ]);
    expect(error.message).toBe(
      `TFC unreachable: connect ECONNREFUSED 127.0.0.1:${port} after 2 attempts (POST /api/v2/runs at 127.0.0.1:${port})`,
    );
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED', name: 'TfcNetworkError' });
  });
});
