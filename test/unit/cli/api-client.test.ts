import { createServer } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialsProvider } from '../../../lambdas/cli/sigv4';
import { harness, IDEMPOTENCY_KEY, record, tenantView } from './harness';

const API = 'https://a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.eu-west-1.amazonaws.com';
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const staticCredentials: CredentialsProvider = () => Promise.resolve(CREDENTIALS);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

let h: ReturnType<typeof harness>;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

describe('API errors', () => {
  it('exit 3 with code: message and the details', async () => {
    record(h.local(), { path: '/tenants/acme', method: 'DELETE' }, 409, {
      error: {
        code: 'TENANT_CONFLICT',
        message: "cannot delete tenant 'acme' while it is creating",
        details: { currentStatus: 'creating' },
      },
    });

    const result = await h.run(['delete', 'acme', '--yes', '--json']);

    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr:
        "error: TENANT_CONFLICT: cannot delete tenant 'acme' while it is creating (HTTP 409)\n" +
        '  currentStatus: creating\n',
    });
  });

  it('exit 3 for a 404', async () => {
    record(h.local(), { path: '/tenants/nobody', method: 'GET' }, 404, {
      error: { code: 'TENANT_NOT_FOUND', message: "tenant 'nobody' does not exist" },
    });

    const result = await h.run(['get', 'nobody']);

    expect(result.code).toBe(3);
    expect(result.stderr).toBe("error: TENANT_NOT_FOUND: tenant 'nobody' does not exist (HTTP 404)\n");
  });

  it("reads API Gateway's own { message } answers", async () => {
    record(h.local(), { path: '/tenants/acme', method: 'GET' }, 403, {
      message: 'User: anonymous is not authorized to perform: execute-api:Invoke',
    });

    const result = await h.run(['get', 'acme']);

    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      'error: HTTP_403: User: anonymous is not authorized to perform: execute-api:Invoke (HTTP 403)\n',
    );
  });
});

describe('retries', () => {
  it('retries a write on 503 with the same Idempotency-Key, then succeeds', async () => {
    const pool = h.local();
    const failed = record(pool, { path: '/tenants', method: 'POST' }, 503, 'Service Unavailable', 2);
    const accepted = record(
      pool,
      { path: '/tenants', method: 'POST' },
      202,
      tenantView({ status: 'creating' }),
    );

    const result = await h.run(['create', 'acme']);

    expect(result.code).toBe(0);
    const keys = [...failed, ...accepted].map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([IDEMPOTENCY_KEY, IDEMPOTENCY_KEY, IDEMPOTENCY_KEY]);
    expect(h.clock.sleeps).toEqual([250, 500]);
  });

  it('gives up after three attempts and reports the last answer (exit 3)', async () => {
    record(h.local(), { path: '/tenants/acme', method: 'GET' }, 502, 'Bad Gateway', 3);

    const result = await h.run(['get', 'acme']);

    expect(result.code).toBe(3);
    expect(result.stderr).toBe('error: HTTP_502: Bad Gateway (HTTP 502)\n');
  });

  it('does not retry a client error', async () => {
    record(h.local(), { path: '/tenants', method: 'POST' }, 400, {
      error: { code: 'VALIDATION_ERROR', message: 'invalid request body' },
    });

    await h.run(['create', 'acme']);

    expect(h.clock.sleeps).toEqual([]);
  });

  it('sends no Idempotency-Key with a GET', async () => {
    const seen = record(h.local(), { path: '/tenants/acme', method: 'GET' }, 200, tenantView());

    await h.run(['get', 'acme']);

    expect(seen[0]?.headers).not.toHaveProperty('idempotency-key');
  });
});

describe('cannot connect', () => {
  it('exit 4 naming the endpoint and hinting at npm start, after retrying', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const clock = h.clock;

    // The real network, not the MockAgent: the default keep-alive Agent is built and closed by runCli.
    const result = await h.run(['get', 'acme', '--endpoint', endpoint], { dispatcher: undefined, clock });

    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      `error: cannot connect to ${endpoint} (ECONNREFUSED)\n` +
        'hint: is `npm start` running? (or point elsewhere with --endpoint / TENANTCTL_ENDPOINT)\n',
    );
    expect(clock.sleeps).toEqual([250, 500]);
  });
});

describe('SigV4 signing', () => {
  it('signs a request to a non-loopback endpoint for execute-api in the host name region', async () => {
    const seen = record(h.agent.get(API), { path: '/prod/tenants/acme', method: 'GET' }, 200, tenantView());

    const result = await h.run(['get', 'acme', '--endpoint', `${API}/prod`], {
      credentials: staticCredentials,
    });

    expect(result.code).toBe(0);
    const headers = seen[0]?.headers ?? {};
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
  });

  it('signs exactly the query and body it sends (the signature verifies)', async () => {
    const path = '/prod/tenants?limit=5&nextToken=a%2Bb%2Fc%3D%3D';
    const list = record(h.agent.get(API), { path, method: 'GET' }, 200, { items: [] });
    const write = record(h.agent.get(API), { path: '/prod/tenants', method: 'POST' }, 202, tenantView());

    await h.run(['list', '--limit', '5', '--next-token', 'a+b/c==', '--endpoint', `${API}/prod/`], {
      credentials: staticCredentials,
    });
    await h.run(['create', 'acme', '--var', 'x=1', '--endpoint', `${API}/prod`], {
      credentials: staticCredentials,
    });

    for (const request of [...list, ...write]) {
      const url = new URL(request.path, API);
      const { authorization, 'x-amz-date': amzDate, ...sent } = request.headers;
      const signingDate = new Date(
        (amzDate ?? '').replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
      );
      const verifier = new SignatureV4({
        service: 'execute-api',
        region: 'eu-west-1',
        credentials: CREDENTIALS,
        sha256: Sha256,
      });
      const expected = await verifier.sign(
        {
          method: request.method,
          protocol: 'https:',
          hostname: url.hostname,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: sent,
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        },
        { signingDate },
      );
      expect(authorization).toBe(expected.headers.authorization);
    }
  });

  it('signs for the Host header and region given, reaching the API through its VPC endpoint name', async () => {
    const vpce = 'https://vpce-0123456789abcdef0-abcdefgh.execute-api.us-east-2.vpce.amazonaws.com';
    const host = 'a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com';
    const seen = record(h.agent.get(vpce), { path: '/prod/tenants/acme', method: 'GET' }, 200, tenantView());

    await h.run(['get', 'acme', '--endpoint', `${vpce}/prod`, '--host-header', host], {
      credentials: staticCredentials,
    });

    expect(seen[0]?.headers.host).toBe(host);
    expect(seen[0]?.headers.authorization).toContain('/eu-central-1/execute-api/aws4_request');
  });

  it('takes the region from AWS_REGION when the host name does not carry one', async () => {
    const seen = record(
      h.agent.get('https://api.internal.example'),
      { path: '/tenants/acme', method: 'GET' },
      200,
      tenantView(),
    );

    await h.run(
      ['get', 'acme', '--endpoint', 'https://api.internal.example'],
      { credentials: staticCredentials },
      { env: { AWS_REGION: 'ap-southeast-2' } },
    );

    expect(seen[0]?.headers.authorization).toContain('/ap-southeast-2/execute-api/');
  });

  it('is a usage error (exit 2) when no region can be found', async () => {
    const result = await h.run(['get', 'acme', '--endpoint', 'https://api.internal.example'], {
      credentials: staticCredentials,
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot tell which region api.internal.example is in: pass --region');
  });

  it('does not sign for the loopback endpoint', async () => {
    const seen = record(h.local(), { path: '/tenants/acme', method: 'GET' }, 200, tenantView());
    const credentials = jest.fn(staticCredentials);

    await h.run(['get', 'acme'], { credentials });

    expect(Object.keys(seen[0]?.headers ?? {}).filter((k) => /^(authorization|x-amz-)/.test(k))).toEqual([]);
    expect(credentials).not.toHaveBeenCalled();
  });

  it('signs for loopback with --sigv4 and --region', async () => {
    const seen = record(h.local(), { path: '/tenants/acme', method: 'GET' }, 200, tenantView());

    await h.run(['get', 'acme', '--sigv4', '--region', 'eu-west-3'], { credentials: staticCredentials });

    expect(seen[0]?.headers.authorization).toContain('/eu-west-3/execute-api/aws4_request');
  });

  it('exit 4 with a hint when there are no credentials, sending nothing', async () => {
    const result = await h.run(['get', 'acme', '--endpoint', `${API}/prod`], {
      credentials: () => Promise.reject(new Error('Could not load credentials from any providers')),
    });

    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      'error: no AWS credentials to sign the request with: Could not load credentials from any providers',
    );
    expect(result.stderr).toContain('hint: on the admin host the instance role provides them');
  });
});

describe('delete confirmation', () => {
  it('refuses without --yes when stdin is not a terminal (exit 2, nothing sent)', async () => {
    const result = await h.run(['delete', 'acme']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("refusing to delete 'acme' without --yes");
  });

  it('asks on a terminal and deletes on yes', async () => {
    record(h.local(), { path: '/tenants/acme', method: 'DELETE' }, 202, tenantView({ status: 'deleting' }));
    const prompt = jest.fn(() => Promise.resolve('y'));

    const result = await h.run(['delete', 'acme'], { prompt }, { stdinIsTTY: true });

    expect(result.code).toBe(0);
    expect(prompt).toHaveBeenCalledWith("Delete tenant 'acme' and destroy its infrastructure? [y/N] ");
  });

  it('sends nothing when the answer is not yes (exit 2)', async () => {
    const result = await h.run(
      ['delete', 'acme'],
      { prompt: () => Promise.resolve('') },
      { stdinIsTTY: true },
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: aborted: 'acme' was not deleted\n");
  });
});
