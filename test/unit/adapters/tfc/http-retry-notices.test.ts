import { TfcNetworkError, TfcRetriesExhaustedError } from '../../../../lambdas/adapters/tfc/errors';
import { observeRetries, type RetryNotice } from '../../../../lambdas/core/retry-reporting';
import { JSON_API_HEADERS, TOKEN, caught, errorDoc, harness, runResource } from './fixtures';

const RUN_ID = 'run-CZcmD7eagjhyX0vN';
const RUN_PATH = `/api/v2/runs/${RUN_ID}`;
const runDoc = { data: runResource() };
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', errno: -111 });

/** A harness whose client reports retries to a recording hook. */
function recording(overrides: Parameters<typeof harness>[0] = {}) {
  const notices: RetryNotice[] = [];
  const h = harness({
    onRetry: (notice) => {
      notices.push(notice);
      return Promise.resolve();
    },
    ...overrides,
  });
  return { ...h, notices };
}

let h: ReturnType<typeof recording>;
beforeEach(() => {
  h = recording();
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

describe('TfcClient HTTP layer: retry notices', () => {
  it('reports each refused connection with its attempt, the attempts allowed and why, before each wait', async () => {
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(refused()).times(2);
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    await expect(h.client.getRun(RUN_ID)).resolves.toMatchObject({ status: 'pending' });

    const reason = 'connection refused (ECONNREFUSED) at app.terraform.io';
    expect(h.notices).toEqual([
      { reason, attempt: 1, maxAttempts: 4 },
      { reason, attempt: 2, maxAttempts: 4 },
    ]);
    // One notice per attempt, and the wait is not lengthened by it.
    expect(h.sleeps).toEqual([150, 300]);
  });

  it('names the status of a 5xx it retries', async () => {
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(503, errorDoc('503', 'Service Unavailable'), { headers: JSON_API_HEADERS });
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    await h.client.getRun(RUN_ID);

    expect(h.notices).toEqual([
      { reason: 'TFC answered 503 Service Unavailable at app.terraform.io', attempt: 1, maxAttempts: 4 },
    ]);
  });

  it('names timeouts and closed connections in words', async () => {
    const timedOut = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    const closed = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(timedOut);
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(closed);
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    await h.client.getRun(RUN_ID);

    expect(h.notices.map((n) => n.reason)).toEqual([
      'no answer within 30 s (UND_ERR_HEADERS_TIMEOUT) at app.terraform.io',
      'connection closed by the other side (UND_ERR_SOCKET) at app.terraform.io',
    ]);
  });

  it('does not report 429s: waiting for the rate limit is not an outage', async () => {
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(429, errorDoc('429', 'Too many requests'), {
        headers: { ...JSON_API_HEADERS, 'x-ratelimit-reset': '0.1' },
      })
      .times(3);
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    await h.client.getRun(RUN_ID);

    expect(h.sleeps).toHaveLength(3);
    expect(h.notices).toEqual([]);
  });

  it('reports the last attempt too, then fails naming the network error, the host and the attempts', async () => {
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(refused()).times(4);

    const error = await caught(h.client.getRun(RUN_ID));

    expect(h.notices.map((n) => `${n.attempt} of ${n.maxAttempts}`)).toEqual([
      '1 of 4',
      '2 of 4',
      '3 of 4',
      '4 of 4',
    ]);
    expect(h.sleeps).toHaveLength(3);
    expect(error).toBeInstanceOf(TfcRetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 4, lastStatus: undefined, retryable: true });
    expect(error.message).toBe(
      `TFC unreachable: connect ECONNREFUSED 127.0.0.1:9 after 4 attempts (GET ${RUN_PATH} at app.terraform.io)`,
    );
    expect(error.cause).toBeInstanceOf(TfcNetworkError);
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED', host: 'app.terraform.io' });
  });

  it('adds the code when the transport error does not say it', async () => {
    const timedOut = Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' });
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(timedOut).times(4);

    const error = await caught(h.client.getRun(RUN_ID));

    expect(error.message).toBe(
      `TFC unreachable: Connect Timeout Error (UND_ERR_CONNECT_TIMEOUT) after 4 attempts (GET ${RUN_PATH} at app.terraform.io)`,
    );
  });

  it('keeps the token out of the notices and the final error even when the transport error echoes it', async () => {
    const echoing = Object.assign(new Error(`connect ECONNREFUSED (Bearer ${TOKEN})`), {
      code: 'ECONNREFUSED',
    });
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(echoing).times(4);

    const error = await caught(h.client.getRun(RUN_ID));

    for (let e: unknown = error; e instanceof Error; e = e.cause) {
      expect(`${e.message} ${String(e.stack)} ${JSON.stringify(e)}`).not.toContain(TOKEN);
    }
    expect(JSON.stringify(h.notices)).not.toContain(TOKEN);
    expect(error.message).toContain('[redacted]');
  });

  it('reports nothing for a failure it does not retry (a POST that may have reached TFC)', async () => {
    h.api
      .intercept({ path: '/api/v2/runs', method: 'POST' })
      .replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));

    const error = await caught(h.client.createRun('ws-6jrRyVDv1J8zQMB5', { isDestroy: false, message: 'm' }));

    expect(h.notices).toEqual([]);
    expect(error).toBeInstanceOf(TfcNetworkError);
    expect(error.message).toBe(
      'TFC POST /api/v2/runs at app.terraform.io failed at the network level: read ECONNRESET',
    );
  });

  it('retries as usual when the hook fails, and logs that it did', async () => {
    const failing = harness({ onRetry: () => Promise.reject(new Error('table unavailable')) });
    failing.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(refused());
    failing.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(200, runDoc, { headers: JSON_API_HEADERS });

    await expect(failing.client.getRun(RUN_ID)).resolves.toMatchObject({ status: 'pending' });

    expect(failing.logs).toContainEqual({
      level: 'warn',
      message: 'could not report a TFC retry',
      attributes: { error: 'table unavailable' },
    });
    failing.agent.assertNoPendingInterceptors();
    await failing.agent.close();
  });

  it('by default reports to the listener of the calls in progress (each flow its own), to no one outside one', async () => {
    const plain = harness();
    const seen: string[] = [];
    const listener = (flow: string) => (notice: RetryNotice) => {
      seen.push(`${flow}:${notice.attempt}`);
      return Promise.resolve();
    };
    const OTHER_ID = 'run-0therRunId00000';
    const OTHER_PATH = `/api/v2/runs/${OTHER_ID}`;
    plain.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(refused()).times(2);
    plain.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });
    plain.api.intercept({ path: OTHER_PATH, method: 'GET' }).replyWithError(refused());
    plain.api
      .intercept({ path: OTHER_PATH, method: 'GET' })
      .reply(200, runDoc, { headers: JSON_API_HEADERS });
    plain.api.intercept({ path: RUN_PATH, method: 'GET' }).replyWithError(refused());
    plain.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    await Promise.all([
      observeRetries(listener('a'), () => plain.client.getRun(RUN_ID)),
      observeRetries(listener('b'), () => plain.client.getRun(OTHER_ID)),
    ]);
    await plain.client.getRun(RUN_ID);

    expect(seen.sort()).toEqual(['a:1', 'a:2', 'b:1']);
    plain.agent.assertNoPendingInterceptors();
    await plain.agent.close();
  });
});
