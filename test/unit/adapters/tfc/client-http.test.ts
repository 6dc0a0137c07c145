import {
  TfcApiError,
  TfcNetworkError,
  TfcNotFoundError,
  TfcResponseValidationError,
  TfcRetriesExhaustedError,
  TfcTokenUnavailableError,
  TfcUnauthorizedError,
} from '../../../../lambdas/adapters/tfc/errors';
import { TfcClient } from '../../../../lambdas/adapters/tfc/client';
import { MockAgent } from 'undici';
import { JSON_API_HEADERS, ORG, TOKEN, caught, errorDoc, harness, runResource } from './fixtures';

const RUN_PATH = '/api/v2/runs/run-CZcmD7eagjhyX0vN';
const runDoc = { data: runResource() };

let h: ReturnType<typeof harness>;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

/** Checks the error and every error in its cause chain: message, stack and JSON rendering. */
function expectNoToken(error: unknown): void {
  for (let e = error; e instanceof Error; e = e.cause) {
    for (const text of [e.message, String(e.stack), JSON.stringify(e)]) expect(text).not.toContain(TOKEN);
  }
}

function rootCause(error: unknown): unknown {
  let e = error;
  while (e instanceof Error && e.cause !== undefined) e = e.cause;
  return e;
}

describe('TfcClient HTTP layer', () => {
  it('sends the bearer token and JSON:API headers', async () => {
    h.api
      .intercept({
        path: RUN_PATH,
        method: 'GET',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          accept: 'application/vnd.api+json',
          'content-type': 'application/vnd.api+json',
        },
      })
      .reply(200, runDoc, { headers: JSON_API_HEADERS });

    const run = await h.client.getRun('run-CZcmD7eagjhyX0vN');

    expect(run.id).toBe('run-CZcmD7eagjhyX0vN');
    expect(h.sleeps).toEqual([]);
  });

  it('on 429 waits X-RateLimit-Reset seconds (fractional) plus jitter, then succeeds', async () => {
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(429, errorDoc(429, 'Too many requests', "You have exceeded the API's rate limit."), {
        headers: { ...JSON_API_HEADERS, 'x-ratelimit-limit': '30', 'x-ratelimit-reset': '0.75' },
      });
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    await h.client.getRun('run-CZcmD7eagjhyX0vN');

    // 750 ms from the header + random (0.5) × base delay (200 ms) of jitter.
    expect(h.sleeps).toEqual([850]);
  });

  it('retries a 429 even on a request that is not idempotent (TFC did not process it)', async () => {
    h.api
      .intercept({ path: '/api/v2/runs', method: 'POST' })
      .reply(429, errorDoc(429, 'Too many requests'), { headers: { 'x-ratelimit-reset': '1' } });
    h.api
      .intercept({ path: '/api/v2/runs', method: 'POST' })
      .reply(201, runDoc, { headers: JSON_API_HEADERS });

    await h.client.createRun('ws-6jrRyVDv1J8zQMB5', { isDestroy: false, message: 'flow f-1' });

    expect(h.sleeps).toEqual([1100]);
  });

  it('on 5xx backs off exponentially with jitter, then succeeds', async () => {
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(502, '<html>Bad gateway</html>').times(2);
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    await h.client.getRun('run-CZcmD7eagjhyX0vN');

    // step = min(1000, 200 × 2^(n-1)); delay = step/2 + 0.5 × step/2
    expect(h.sleeps).toEqual([150, 300]);
  });

  it('retries network errors on idempotent requests', async () => {
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    await expect(h.client.getRun('run-CZcmD7eagjhyX0vN')).resolves.toMatchObject({ status: 'pending' });
    expect(h.sleeps).toHaveLength(1);
  });

  it('gives up after maxAttempts with TfcRetriesExhaustedError naming method, path and last status', async () => {
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(503, errorDoc('503', 'Service Unavailable'), { headers: JSON_API_HEADERS })
      .times(4);

    const error = await caught(h.client.getRun('run-CZcmD7eagjhyX0vN'));

    expect(error).toBeInstanceOf(TfcRetriesExhaustedError);
    expect(error).toMatchObject({
      name: 'TfcRetriesExhaustedError',
      method: 'GET',
      path: RUN_PATH,
      attempts: 4,
      lastStatus: 503,
      retryable: true,
    });
    expect(error.message).toBe(`TFC GET ${RUN_PATH} still failing after 4 attempts (last: status 503)`);
    expect(error.cause).toBeInstanceOf(TfcApiError);
    expect(h.sleeps).toEqual([150, 300, 600]);
    expectNoToken(error);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const capped = harness({ retry: { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 500 } });
    capped.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(500, '').times(6);

    await expect(capped.client.getRun('run-CZcmD7eagjhyX0vN')).rejects.toBeInstanceOf(
      TfcRetriesExhaustedError,
    );

    expect(capped.sleeps).toEqual([150, 300, 375, 375, 375]);
    capped.agent.assertNoPendingInterceptors();
    await capped.agent.close();
  });

  it('does not repeat POST /runs after a 5xx (a repeat could queue a second run)', async () => {
    h.api
      .intercept({ path: '/api/v2/runs', method: 'POST' })
      .reply(500, errorDoc(500, 'Internal Server Error'), { headers: JSON_API_HEADERS });

    const error = await caught(h.client.createRun('ws-6jrRyVDv1J8zQMB5', { isDestroy: false, message: 'm' }));

    expect(error).toBeInstanceOf(TfcApiError);
    expect(error).toMatchObject({ status: 500, retryable: true });
    expect(h.sleeps).toEqual([]);
  });

  it('does not repeat POST /runs after a mid-flight network error', async () => {
    h.api
      .intercept({ path: '/api/v2/runs', method: 'POST' })
      .replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));

    const error = await caught(h.client.createRun('ws-6jrRyVDv1J8zQMB5', { isDestroy: false, message: 'm' }));

    expect(error).toBeInstanceOf(TfcNetworkError);
    expect(error).toMatchObject({ code: 'UND_ERR_SOCKET', retryable: true });
  });

  it('turns 404 into TfcNotFoundError that says "not found or no permission"', async () => {
    // A valid token without access to the resource gets 404, not 403 (api-docs/index.mdx).
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(404, errorDoc('404', 'not found'), { headers: JSON_API_HEADERS });

    const error = await caught(h.client.getRun('run-CZcmD7eagjhyX0vN'));

    expect(error).toBeInstanceOf(TfcNotFoundError);
    expect(error).toMatchObject({
      status: 404,
      title: 'not found',
      retryable: false,
      method: 'GET',
      path: RUN_PATH,
    });
    expect(error.message).toContain('not found or no permission');
    expect(h.sleeps).toEqual([]);
    expectNoToken(error);
  });

  it('turns 401 into TfcUnauthorizedError', async () => {
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(401, errorDoc(401, 'unauthorized'));

    const error = await caught(h.client.getRun('run-CZcmD7eagjhyX0vN'));

    expect(error).toBeInstanceOf(TfcUnauthorizedError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expectNoToken(error);
  });

  it.each([
    ['a string', '422'],
    ['a number', 422],
  ])('reads JSON:API errors whose status is %s', async (_kind, status) => {
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(422, errorDoc(status, 'invalid attribute', 'Something is wrong'), { headers: JSON_API_HEADERS });

    const error = await caught(h.client.getRun('run-CZcmD7eagjhyX0vN'));

    expect(error).toMatchObject({
      name: 'TfcApiError',
      status: 422,
      title: 'invalid attribute',
      detail: 'Something is wrong',
      retryable: false,
    });
  });

  it('rejects a 2xx body that lacks documented fields', async () => {
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(200, { data: { id: 'run-1', type: 'runs', attributes: {} } }, { headers: JSON_API_HEADERS });

    const error = await caught(h.client.getRun('run-CZcmD7eagjhyX0vN'));

    expect(error).toBeInstanceOf(TfcResponseValidationError);
    expect(error.message).toContain('data.attributes.status');
  });

  it('wraps a failing token provider in TfcTokenUnavailableError', async () => {
    const broken = harness({ token: () => Promise.reject(new Error('AccessDenied')) });

    const error = await caught(broken.client.getRun('run-1'));

    expect(error).toBeInstanceOf(TfcTokenUnavailableError);
    await broken.agent.close();
  });

  describe('never exposes the token', () => {
    it('not in errors built from transport failures that echo request headers', async () => {
      // MockAgent's "not matched" error quotes the request headers, Authorization included.
      h.api
        .intercept({ path: RUN_PATH, method: 'GET', headers: { authorization: 'Bearer another-token' } })
        .reply(200, runDoc);

      const error = await caught(h.client.getRun('run-CZcmD7eagjhyX0vN'));

      expect(error).toBeInstanceOf(TfcRetriesExhaustedError);
      expect(String(rootCause(error))).toContain('[redacted]');
      expectNoToken(error);
      h.api.cleanMocks();
    });

    it('not in logs', async () => {
      h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(500, '').times(2);
      h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

      await h.client.getRun('run-CZcmD7eagjhyX0vN');

      expect(h.logs.filter((l) => l.level === 'warn')).toHaveLength(2);
      expect(JSON.stringify(h.logs)).not.toContain(TOKEN);
    });
  });

  it('talks to any Terraform Enterprise address', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const client = new TfcClient({
      address: 'https://tfe.example.internal',
      organization: ORG,
      token: () => Promise.resolve(TOKEN),
      dispatcher: agent,
    });
    agent
      .get('https://tfe.example.internal')
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(200, runDoc, { headers: JSON_API_HEADERS });

    await expect(client.getRun('run-CZcmD7eagjhyX0vN')).resolves.toMatchObject({
      id: 'run-CZcmD7eagjhyX0vN',
    });
    agent.assertNoPendingInterceptors();
    await agent.close();
  });
});
