import { randomUUID } from 'node:crypto';
import type { TenantError } from '../../../../lambdas/core/tenant';
import { NOW, repositoryFixture } from '../../../support/repository';

const { fixture, freshCode, start, rawItem } = repositoryFixture('ops');

const lost = (message = 'lost'): TenantError => ({ code: 'FlowLost', message, at: NOW });

describe('DynamoDbTenantRepository (operations)', () => {
  describe('listDueForDecommission', () => {
    it('pages through due tenants with a given page size and reports what each query read', async () => {
      // A date far in the past keeps this test's rows apart from the other tests' rows.
      const codes = [freshCode(), freshCode(), freshCode()];
      const dates = ['2001-01-05', '2001-01-10', '2001-01-31'];
      for (const [i, code] of codes.entries()) await start(code, 'create', { decommissionDate: dates[i] });
      await start(freshCode(), 'create', { decommissionDate: '2001-02-01' });

      const seen: string[] = [];
      let scanned = 0;
      let pages = 0;
      let nextToken: string | undefined;
      do {
        const page = await fixture.repo.listDueForDecommission('2001-01-31', nextToken, 2);
        seen.push(...page.items.map((t) => t.tenantCode));
        scanned += page.scannedCount ?? Number.NaN;
        pages++;
        nextToken = page.nextToken;
      } while (nextToken);

      expect(seen.sort()).toEqual([...codes].sort());
      expect(scanned).toBe(3);
      expect(pages).toBeGreaterThanOrEqual(2);
    });
  });

  describe('listInProgress', () => {
    it('returns tenants of one in-progress status with the execution that claimed each', async () => {
      const claimed = freshCode();
      const unclaimed = freshCode();
      const c = await start(claimed, 'create');
      await start(unclaimed, 'create');
      await fixture.repo.claimFlow(claimed, c.after.flowId, 'arn:exec:1');

      const items = [];
      let nextToken: string | undefined;
      do {
        const page = await fixture.repo.listInProgress('creating', {
          limit: 1,
          ...(nextToken ? { nextToken } : {}),
        });
        items.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken);

      const byCode = new Map(items.map((i) => [i.tenant.tenantCode, i]));
      expect(byCode.get(claimed)).toEqual({ tenant: c.after, claimedBy: 'arn:exec:1' });
      expect(byCode.get(unclaimed)?.claimedBy).toBeUndefined();
      expect(byCode.get(claimed)?.tenant).not.toHaveProperty('claimedBy');
      expect(
        (await fixture.repo.listInProgress('updating')).items.map((i) => i.tenant.tenantCode),
      ).not.toContain(claimed);
    });
  });

  describe('releaseClaim', () => {
    it('removes the claim of the named execution so a new execution can claim the flow', async () => {
      const code = freshCode();
      const { after } = await start(code, 'create');
      await fixture.repo.claimFlow(code, after.flowId, 'arn:exec:dead');

      expect(await fixture.repo.releaseClaim(code, after.flowId, 'arn:exec:dead')).toBe(true);

      expect(await rawItem(code)).not.toHaveProperty('claimedBy');
      expect((await fixture.repo.claimFlow(code, after.flowId, 'arn:exec:new')).claimed).toBe(true);
    });

    it('refuses when another execution holds the claim, the flow changed or the row is terminal', async () => {
      const code = freshCode();
      const first = await start(code, 'create');
      await fixture.repo.claimFlow(code, first.after.flowId, 'arn:exec:live');

      expect(await fixture.repo.releaseClaim(code, first.after.flowId, 'arn:exec:dead')).toBe(false);
      expect(await fixture.repo.releaseClaim(code, first.after.flowId, undefined)).toBe(false);
      expect(await fixture.repo.releaseClaim(code, randomUUID(), 'arn:exec:live')).toBe(false);
      await fixture.repo.completeFlow(code, first.after.flowId, { status: 'ready', now: NOW });
      expect(await fixture.repo.releaseClaim(code, first.after.flowId, 'arn:exec:live')).toBe(false);
      expect((await rawItem(code))?.claimedBy).toBe('arn:exec:live');
    });

    it('succeeds without a claim only while the row is still unclaimed', async () => {
      const code = freshCode();
      const { after } = await start(code, 'create');

      expect(await fixture.repo.releaseClaim(code, after.flowId, undefined)).toBe(true);
      await fixture.repo.claimFlow(code, after.flowId, 'arn:exec:late');
      expect(await fixture.repo.releaseClaim(code, after.flowId, undefined)).toBe(false);
    });
  });

  describe('failLostFlow', () => {
    it('marks the flow failed with the reason, keeping its run and bumping the version', async () => {
      const code = freshCode();
      const { after } = await start(code, 'create', { decommissionDate: '2030-01-01' });
      await fixture.repo.claimFlow(code, after.flowId, 'arn:exec:dead');
      await fixture.repo.recordProgress(code, after.flowId, { workspaceId: 'ws-1', runId: 'run-1' }, NOW);

      const failed = await fixture.repo.failLostFlow(
        code,
        after.flowId,
        'arn:exec:dead',
        lost('execution aborted'),
      );

      expect(failed).toMatchObject({
        status: 'failed',
        flowId: after.flowId,
        runId: 'run-1',
        version: after.version + 2,
        lastError: lost('execution aborted'),
        updatedAt: NOW,
      });
      expect(failed).not.toHaveProperty('claimedBy');
      expect(await fixture.repo.get(code)).toEqual(failed);
      expect((await rawItem(code))?.decommissionBucket).toBe('scheduled');
    });

    it('writes nothing when the row has moved on', async () => {
      const code = freshCode();
      const { after } = await start(code, 'create');
      await fixture.repo.claimFlow(code, after.flowId, 'arn:exec:live');

      await expect(fixture.repo.failLostFlow(code, after.flowId, undefined, lost())).resolves.toBeUndefined();
      await expect(
        fixture.repo.failLostFlow(code, after.flowId, 'arn:exec:other', lost()),
      ).resolves.toBeUndefined();
      await fixture.repo.completeFlow(code, after.flowId, { status: 'ready', now: NOW });
      await expect(
        fixture.repo.failLostFlow(code, after.flowId, 'arn:exec:live', lost()),
      ).resolves.toBeUndefined();
      expect((await fixture.repo.get(code))?.status).toBe('ready');
    });
  });
});
