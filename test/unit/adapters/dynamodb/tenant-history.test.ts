import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TenantConflictError, ValidationError } from '../../../../lambdas/core/errors';
import type { TenantCode } from '../../../../lambdas/core/tenant-code';
import { NOW, repositoryFixture } from '../../../support/repository';

const { fixture, freshCode, start } = repositoryFixture('h');

const LATER = '2026-11-23T10:05:00.000Z';
const LATEST = '2026-11-23T10:10:00.000Z';

async function history(code: TenantCode) {
  return (await fixture.repo.listHistory(code, { limit: 100 })).items;
}

describe('DynamoDbTenantRepository history', () => {
  it('records each request, run and status change in the write that made it, newest first', async () => {
    const code = freshCode();
    const created = await start(code, 'create', { tier: 'medium', variables: { owner: 'data-team' } });
    await fixture.repo.recordProgress(
      code,
      created.after.flowId,
      { workspaceId: 'ws-1', runId: 'run-1', runStatus: 'pending' },
      LATER,
    );
    await fixture.repo.recordProgress(code, created.after.flowId, { runStatus: 'applying' }, LATER);
    await fixture.repo.completeFlow(code, created.after.flowId, {
      status: 'failed',
      now: LATEST,
      runStatus: 'errored',
      lastError: { code: 'RunFailed', message: 'Error: boom', at: LATEST },
    });

    expect(await history(code)).toEqual([
      {
        at: LATEST,
        kind: 'status',
        flowId: created.after.flowId,
        from: 'creating',
        to: 'failed',
        reason: 'RunFailed: Error: boom',
      },
      { at: LATEST, kind: 'run', flowId: created.after.flowId, runId: 'run-1', status: 'errored' },
      { at: LATER, kind: 'run', flowId: created.after.flowId, runId: 'run-1', status: 'pending' },
      { at: NOW, kind: 'status', flowId: created.after.flowId, to: 'creating' },
      {
        at: NOW,
        kind: 'request',
        action: 'create',
        requestedBy: 'api:test',
        flowId: created.after.flowId,
        changes: { tier: { to: 'medium' }, variables: { added: ['owner'], changed: [], removed: [] } },
      },
    ]);
  });

  it('names the variables an update changed, added and removed, never their values', async () => {
    const code = freshCode();
    const created = await start(code, 'create', { variables: { keep: 'k', change: 'secret-1', drop: 'x' } });
    await fixture.repo.completeFlow(code, created.after.flowId, { status: 'ready', now: NOW });

    const updated = await start(code, 'update', {
      variables: { keep: 'k', change: 'secret-2', fresh: 'secret-3' },
      decommissionDate: '2030-01-01',
    });

    const [, request] = await history(code);
    expect(request).toMatchObject({
      kind: 'request',
      action: 'update',
      flowId: updated.after.flowId,
      changes: {
        variables: { added: ['fresh'], changed: ['change'], removed: ['drop'] },
        decommissionDate: { from: null, to: '2030-01-01' },
      },
    });
    expect(JSON.stringify(await history(code))).not.toMatch(/secret-/);
  });

  it('a refused request writes no history', async () => {
    const code = freshCode();
    await start(code, 'create');
    const before = await history(code);

    await expect(start(code, 'update')).rejects.toBeInstanceOf(TenantConflictError);

    expect(await history(code)).toEqual(before);
  });

  it('an undone request says so', async () => {
    const code = freshCode();
    const created = await start(code, 'create');
    await fixture.repo.undoTransition(created, LATER);

    expect((await history(code))[0]).toEqual({
      at: LATER,
      kind: 'status',
      flowId: created.after.flowId,
      from: 'creating',
      to: 'deleted',
      reason: 'the request was undone: its flow could not be started',
    });
    expect(await fixture.repo.get(code)).toBeUndefined();
  });

  it('pages with nextToken and refuses a token of another tenant', async () => {
    const code = freshCode();
    const other = freshCode();
    await start(code, 'create');
    await start(other, 'create');

    const first = await fixture.repo.listHistory(code, { limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.items[0]?.kind).toBe('status');
    const second = await fixture.repo.listHistory(code, { limit: 1, nextToken: first.nextToken });
    expect(second.items[0]?.kind).toBe('request');

    await expect(
      fixture.repo.listHistory(other, { limit: 1, nextToken: first.nextToken }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('each item expires by TTL after the retention period (90 days by default)', async () => {
    const code = freshCode();
    await start(code, 'create');

    const out = await fixture.tables.doc.send(
      new QueryCommand({
        TableName: fixture.tables.historyTable,
        KeyConditionExpression: 'tenantCode = :c',
        ExpressionAttributeValues: { ':c': code },
      }),
    );

    const expected = Date.parse(NOW) / 1000 + 90 * 86_400;
    expect(out.Items?.map((i) => i.expiresAt as number)).toEqual([expected, expected]);
  });
});
