import { TfcRetriesExhaustedError } from '../../../../lambdas/adapters/tfc/errors';
import type { RateBucket, RateBudget } from '../../../../lambdas/core/rate-budget';
import { TFC_RETRY_LOG_MESSAGE } from '../../../../lambdas/core/telemetry';
import { JSON_API_HEADERS, errorDoc, harness, runResource } from './fixtures';

const RUN_PATH = '/api/v2/runs/run-CZcmD7eagjhyX0vN';
const RUNS_PATH = '/api/v2/workspaces/ws-1/runs';
const runDoc = { data: runResource() };
const tooMany = (reset: string) =>
  [
    429,
    errorDoc(429, 'Too many requests'),
    { headers: { ...JSON_API_HEADERS, 'x-ratelimit-limit': '30', 'x-ratelimit-reset': reset } },
  ] as const;

/** Records what the HTTP layer asks of the shared budget. */
class RecordingBudget implements RateBudget {
  public readonly taken: RateBucket[] = [];
  public readonly limits: Array<[RateBucket, number]> = [];
  public take(bucket: RateBucket): Promise<void> {
    this.taken.push(bucket);
    return Promise.resolve();
  }
  public observeLimit(bucket: RateBucket, limit: number): void {
    this.limits.push([bucket, limit]);
  }
}

describe('TFC HTTP layer and the shared rate budget', () => {
  it('takes a turn from the budget before every request, and the runs-list budget too for a runs list', async () => {
    const budget = new RecordingBudget();
    const h = harness({ budget });
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, {
      headers: { ...JSON_API_HEADERS, 'x-ratelimit-limit': '30' },
    });
    h.api
      .intercept({ path: (p) => p.startsWith(RUNS_PATH), method: 'GET' })
      .reply(200, { data: [] }, { headers: { ...JSON_API_HEADERS, 'x-ratelimit-limit': '20' } });

    await h.client.getRun('run-CZcmD7eagjhyX0vN');
    await h.client.findRunByMessage('ws-1', 'flow-1');

    expect(budget.taken).toEqual(['api', 'runs-list', 'api']);
    // X-RateLimit-Limit sizes the budget of the endpoint's own limit (index.mdx, run.mdx).
    expect(budget.limits).toEqual([
      ['api', 30],
      ['runs-list', 20],
    ]);
    h.agent.assertNoPendingInterceptors();
    await h.agent.close();
  });

  it('waits out 429s inside the client without spending attempts, so the task is never replayed for them', async () => {
    const budget = new RecordingBudget();
    const h = harness({ budget }); // maxAttempts 4
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(...tooMany('0.5'))
      .times(6);
    h.api.intercept({ path: RUN_PATH, method: 'GET' }).reply(200, runDoc, { headers: JSON_API_HEADERS });

    const run = await h.client.getRun('run-CZcmD7eagjhyX0vN');

    expect(run.id).toBe('run-CZcmD7eagjhyX0vN');
    // Six waits of the reset (500 ms) plus jitter (0.5 × 200 ms); each try takes a new turn.
    expect(h.sleeps).toEqual([600, 600, 600, 600, 600, 600]);
    expect(budget.taken).toHaveLength(7);
    // Each wait writes the retry log line with status 429 that the dashboard's metric filter counts.
    const retries = h.logs.filter((l) => l.message === TFC_RETRY_LOG_MESSAGE);
    expect(retries).toHaveLength(6);
    expect(retries.every((l) => l.attributes?.status === 429)).toBe(true);
    h.agent.assertNoPendingInterceptors();
    await h.agent.close();
  });

  it('gives up on 429s only past maxRateLimitWaitMs', async () => {
    const h = harness({
      retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 1000, maxRateLimitWaitMs: 2000 },
    });
    h.api
      .intercept({ path: RUN_PATH, method: 'GET' })
      .reply(...tooMany('0.9'))
      .times(3);

    const error = await h.client.getRun('run-CZcmD7eagjhyX0vN').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TfcRetriesExhaustedError);
    expect(error).toMatchObject({ lastStatus: 429 });
    expect(h.sleeps).toEqual([1000, 1000]);
    h.agent.assertNoPendingInterceptors();
    await h.agent.close();
  });
});
