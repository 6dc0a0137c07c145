import { FlowSupersededError } from '../../../../lambdas/core/errors';
import { NOW, repositoryFixture } from '../../../support/repository';

const { fixture, freshCode, start } = repositoryFixture('retry');

const LATER = '2026-11-23T10:00:05.000Z';
const LATEST = '2026-11-23T10:00:09.000Z';
const refused = (attempt: number) => ({
  reason: 'connection refused (ECONNREFUSED) at app.terraform.io',
  attempt,
  maxAttempts: 5,
});

describe('DynamoDbTenantRepository: a retry shown on the tenant', () => {
  it('records the latest attempt and keeps when the outage began', async () => {
    const code = freshCode();
    const { after } = await start(code, 'create');

    await fixture.repo.recordRetry(code, after.flowId, refused(1), NOW);
    await fixture.repo.recordRetry(code, after.flowId, refused(2), LATER);

    const row = await fixture.repo.get(code);
    expect(row?.retrying).toEqual({ ...refused(2), since: NOW, at: LATER });
    expect(row?.updatedAt).toBe(LATER);
    expect(row?.version).toBe(after.version + 2);
  });

  it('writes no history item for a retry', async () => {
    const code = freshCode();
    const { after } = await start(code, 'create');
    const before = (await fixture.repo.listHistory(code, { limit: 100 })).items.length;

    await fixture.repo.recordRetry(code, after.flowId, refused(1), NOW);

    expect((await fixture.repo.listHistory(code, { limit: 100 })).items).toHaveLength(before);
  });

  it('is refused for another flow and once the flow has ended', async () => {
    const code = freshCode();
    const { after } = await start(code, 'create');

    await expect(fixture.repo.recordRetry(code, 'another-flow', refused(1), NOW)).rejects.toBeInstanceOf(
      FlowSupersededError,
    );
    await fixture.repo.completeFlow(code, after.flowId, { status: 'ready', now: LATER });
    await expect(fixture.repo.recordRetry(code, after.flowId, refused(1), LATEST)).rejects.toBeInstanceOf(
      FlowSupersededError,
    );
    expect((await fixture.repo.get(code))?.retrying).toBeUndefined();
  });

  it('is removed by the next progress write, and a later outage starts its own since', async () => {
    const code = freshCode();
    const { after } = await start(code, 'create');
    await fixture.repo.recordRetry(code, after.flowId, refused(3), NOW);

    await fixture.repo.recordProgress(code, after.flowId, { runId: 'run-1', runStatus: 'pending' }, LATER);
    expect((await fixture.repo.get(code))?.retrying).toBeUndefined();

    await fixture.repo.recordRetry(code, after.flowId, refused(1), LATEST);
    expect((await fixture.repo.get(code))?.retrying?.since).toBe(LATEST);
  });

  it('clearRetry removes it for its own flow only, and writes nothing when there is none', async () => {
    const code = freshCode();
    const { after } = await start(code, 'create');
    await fixture.repo.recordRetry(code, after.flowId, refused(2), NOW);

    await fixture.repo.clearRetry(code, 'another-flow', LATER);
    expect((await fixture.repo.get(code))?.retrying).toBeDefined();

    await fixture.repo.clearRetry(code, after.flowId, LATER);
    const cleared = await fixture.repo.get(code);
    expect(cleared?.retrying).toBeUndefined();
    expect(cleared?.updatedAt).toBe(LATER);

    await fixture.repo.clearRetry(code, after.flowId, LATEST);
    expect(await fixture.repo.get(code)).toEqual(cleared);
  });

  it('is removed when the flow ends, and when the reconciler fails a lost flow', async () => {
    const ended = freshCode();
    const e = await start(ended, 'create');
    await fixture.repo.recordRetry(ended, e.after.flowId, refused(5), NOW);
    const lastError = { code: 'TransientError', message: 'TFC unreachable', at: LATER };
    const failed = await fixture.repo.completeFlow(ended, e.after.flowId, {
      status: 'failed',
      now: LATER,
      lastError,
    });
    expect(failed.retrying).toBeUndefined();
    expect(failed.lastError).toEqual(lastError);

    // A row left showing a retry (its execution died) loses it when the reconciler gives up on the flow.
    const stranded = freshCode();
    const s = await start(stranded, 'create');
    await fixture.repo.recordRetry(stranded, s.after.flowId, refused(2), NOW);
    await fixture.repo.failLostFlow(stranded, s.after.flowId, undefined, { ...lastError, code: 'FlowLost' });
    expect((await fixture.repo.get(stranded))?.retrying).toBeUndefined();
  });
});
