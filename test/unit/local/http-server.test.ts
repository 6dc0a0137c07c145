import { connect } from 'node:net';
import type { ApiEvent } from '../../../lambdas/handlers/api/http';
import { json } from '../../../lambdas/handlers/api/http';
import type { TenantApi } from '../../../lambdas/handlers/api/tenant-api';
import { startApiServer, type LocalApiServer } from '../../../lambdas/local/http-server';

/** Answers every route with the event it received, so a test sees what the server passed on. */
function echoApi(): TenantApi {
  const echo = (route: string) => (event: ApiEvent) =>
    Promise.resolve(json(200, { route, code: event.pathParameters?.code ?? null }));
  return {
    create: echo('create'),
    list: echo('list'),
    get: echo('get'),
    update: echo('update'),
    delete: echo('delete'),
    history: echo('history'),
    fleet: echo('fleet'),
    startRollout: echo('startRollout'),
    listRollouts: echo('listRollouts'),
    getRollout: echo('getRollout'),
    pauseRollout: echo('pauseRollout'),
    resumeRollout: echo('resumeRollout'),
    cancelRollout: echo('cancelRollout'),
    registerContext: () => undefined,
  };
}

/** Sends raw bytes and resolves with the raw answer, so request lines undici would refuse can be sent. */
function raw(port: number, text: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = answer.indexOf('\r\n\r\n');
      const head = split === -1 ? answer : answer.slice(0, split);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        headers: head,
        body: split === -1 ? '' : answer.slice(split + 4),
      });
    });
    socket.end(text);
  });
}

function get(port: number, target: string) {
  return raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
}

function errorOf(body: string): { code: string; message: string } {
  return (JSON.parse(body) as { error: { code: string; message: string } }).error;
}

let server: LocalApiServer;
let port: number;
const lines: string[] = [];
const opsCalls: string[] = [];
const ops = {
  decommission: ({ dryRun }: { dryRun: boolean }) => {
    opsCalls.push(`decommission dryRun=${dryRun}`);
    return Promise.resolve({ dryRun, found: 0 });
  },
  reconcile: () => {
    opsCalls.push('reconcile');
    return Promise.resolve({ examined: 0 });
  },
};
beforeAll(async () => {
  server = await startApiServer(echoApi(), {
    host: '127.0.0.1',
    port: 0,
    log: (line) => lines.push(line),
    ops,
  });
  port = Number(new URL(server.url).port);
});
afterAll(() => server.close());
beforeEach(() => {
  lines.splice(0);
  opsCalls.splice(0);
});

describe('local HTTP server', () => {
  it.each(['/tenants/%E0%A4%A', '/tenants/%ZZ', '/tenants/abc%', '/tenants/%C0%AF'])(
    'a malformed percent-escape in %s is a 400 JSON error, not a 500',
    async (target) => {
      const res = await get(port, target);

      expect(res.status).toBe(400);
      expect(res.headers).toMatch(/content-type: application\/json/i);
      expect(errorOf(res.body)).toMatchObject({ code: 'INVALID_PATH' });
    },
  );

  it.each([
    'http://127.0.0.1/tenants',
    'http://[::1/tenants',
    'HTTPS://127.0.0.1:4000/tenants?limit=1',
    '//tenants',
    '*',
  ])('an absolute-form or asterisk request target (%s) is a 400 JSON error', async (target) => {
    const res = await get(port, target);

    expect(res.status).toBe(400);
    expect(errorOf(res.body)).toMatchObject({ code: 'INVALID_REQUEST_TARGET' });
  });

  it("answers Node's own parser rejections with a JSON error body", async () => {
    const garbage = await raw(port, 'NOT A REQUEST\r\n\r\n');
    const badHeader = await raw(port, 'GET /tenants HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
    const huge = await raw(port, `GET /tenants HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);

    for (const res of [garbage, badHeader]) {
      expect(res.status).toBe(400);
      expect(res.headers).toMatch(/content-type: application\/json/i);
      expect(errorOf(res.body)).toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect(huge.status).toBe(431);
    expect(errorOf(huge.body)).toMatchObject({ code: 'HEADERS_TOO_LARGE' });
  });

  it('still routes ordinary paths and decodes a valid escape', async () => {
    const res = await get(port, '/tenants/acme%2Dlab');

    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ route: 'get', code: 'acme-lab' });
  });

  it('logs one line per request: method, path, status and duration, without the query string', async () => {
    await get(port, '/tenants?nextToken=secret-token-value');
    await get(port, '/tenants/%ZZ');

    expect(lines).toEqual([
      expect.stringMatching(/^GET \/tenants 200 \d+ms$/),
      expect.stringMatching(/^GET \/tenants\/%ZZ 400 \d+ms$/),
    ]);
    expect(lines.join('\n')).not.toContain('secret-token-value');
  });

  it('runs the decommission sweep (dry run or not) and the reconciler on POST /ops/…', async () => {
    const post = (target: string) =>
      raw(port, `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);

    const dry = await post('/ops/decommission?dryRun=true');
    const real = await post('/ops/decommission');
    const reconcile = await post('/ops/reconcile');
    const bad = await post('/ops/decommission?dryRun=yes');
    const wrongMethod = await get(port, '/ops/reconcile');

    expect([dry.status, real.status, reconcile.status]).toEqual([200, 200, 200]);
    expect(JSON.parse(dry.body)).toEqual({ dryRun: true, found: 0 });
    expect(opsCalls).toEqual(['decommission dryRun=true', 'decommission dryRun=false', 'reconcile']);
    expect(bad.status).toBe(400);
    expect(errorOf(bad.body)).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(wrongMethod.status).toBe(405);
  });
});
