import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  FlowSupersededError,
  TenantConflictError,
  TenantNotFoundError,
  ValidationError,
} from '../../../../lambdas/core/errors';
import type { TenantCode } from '../../../../lambdas/core/tenant-code';
import { NOW, repositoryFixture } from '../../../support/repository';

const { fixture, freshCode, start, rawItem } = repositoryFixture('t');

describe('DynamoDbTenantRepository', () => {
  describe('transition', () => {
    it('creates an absent tenant in creating with version 1 and defaults', async () => {
      const code = freshCode();
      const { before, after } = await start(code, 'create', { variables: { region: 'eu' } });

      expect(before).toBeUndefined();
      expect(after).toMatchObject({
        tenantCode: code,
        status: 'creating',
        version: 1,
        tier: 'small',
        action: 'create',
      });
      expect(await fixture.repo.get(code)).toEqual(after);
    });

    it('refuses to create an existing tenant, naming its status', async () => {
      const code = freshCode();
      await start(code, 'create');

      await expect(start(code, 'create')).rejects.toThrow(
        new TenantConflictError(code, 'create', 'creating'),
      );
    });

    it('refuses update and delete of an absent tenant as not found', async () => {
      const code = freshCode();
      await expect(start(code, 'update')).rejects.toBeInstanceOf(TenantNotFoundError);
      await expect(start(code, 'delete')).rejects.toBeInstanceOf(TenantNotFoundError);
      expect(await rawItem(code)).toBeUndefined();
    });

    it('updates a ready tenant, keeping outputs and changing only what was given', async () => {
      const code = freshCode();
      const created = await start(code, 'create', { tier: 'large', variables: { a: '1' } });
      await fixture.repo.completeFlow(code, created.after.flowId, {
        status: 'ready',
        now: NOW,
        outputs: { url: 'x' },
      });

      const { before, after } = await start(code, 'update', { variables: { a: '2' } });

      expect(before?.status).toBe('ready');
      expect(after).toMatchObject({
        status: 'updating',
        tier: 'large',
        variables: { a: '2' },
        outputs: { url: 'x' },
      });
      expect(after.version).toBe(before!.version + 1);
      expect(await fixture.repo.get(code)).toEqual(after);
    });

    it('re-creates a deleted tenant from a clean slate', async () => {
      const code = freshCode();
      const created = await start(code, 'create', { decommissionDate: '2030-01-01' });
      await fixture.repo.completeFlow(code, created.after.flowId, {
        status: 'ready',
        now: NOW,
        outputs: { url: 'x' },
      });
      const deleting = await start(code, 'delete');
      await fixture.repo.completeFlow(code, deleting.after.flowId, { status: 'deleted', now: NOW });

      const { after } = await start(code, 'create');

      expect(after.status).toBe('creating');
      expect(after.outputs).toBeUndefined();
      expect(after.decommissionDate).toBeUndefined();
      expect(after.version).toBe(5);
      expect(await fixture.repo.get(code)).toEqual(after);
    });

    it('lets exactly one of two racing conflicting writes win, every time', async () => {
      for (let i = 0; i < 40; i++) {
        const code = freshCode();
        const created = await start(code, 'create');
        await fixture.repo.completeFlow(code, created.after.flowId, { status: 'ready', now: NOW });

        const results = await Promise.allSettled([
          start(code, 'update', { tier: 'medium' }),
          start(code, 'delete'),
        ]);

        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(TenantConflictError);
        const row = await fixture.repo.get(code);
        expect(row?.flowId).toBe(
          (won[0] as PromiseFulfilledResult<{ after: { flowId: string } }>).value.after.flowId,
        );
        expect(row?.version).toBe(3);
      }
    });
  });

  describe('undoTransition', () => {
    it('removes a first create and restores an updated row', async () => {
      const code = freshCode();
      const created = await start(code, 'create', { variables: { a: '1' } });
      await fixture.repo.undoTransition(created);
      expect(await rawItem(code)).toBeUndefined();

      const again = await start(code, 'create', { variables: { a: '1' }, decommissionDate: '2031-02-03' });
      await fixture.repo.completeFlow(code, again.after.flowId, { status: 'ready', now: NOW });
      const update = await start(code, 'update', { variables: { a: '2' } });
      await fixture.repo.undoTransition(update);

      const row = await fixture.repo.get(code);
      expect(row).toMatchObject({ status: 'ready', variables: { a: '1' }, flowId: again.after.flowId });
      expect((await rawItem(code))?.decommissionBucket).toBe('scheduled');
    });

    it('leaves the row alone when another flow already owns it', async () => {
      const code = freshCode();
      const created = await start(code, 'create');
      await fixture.repo.completeFlow(code, created.after.flowId, { status: 'ready', now: NOW });
      const stale = await start(code, 'update');
      await fixture.repo.completeFlow(code, stale.after.flowId, { status: 'ready', now: NOW });
      const current = await start(code, 'delete');

      await fixture.repo.undoTransition(stale);

      expect((await fixture.repo.get(code))?.flowId).toBe(current.after.flowId);
    });
  });

  describe('flow writes', () => {
    it('claims a flow once per execution and reports duplicates', async () => {
      const code = freshCode();
      const { after } = await start(code, 'create');

      expect((await fixture.repo.claimFlow(code, after.flowId, 'exec-1')).claimed).toBe(true);
      expect((await fixture.repo.claimFlow(code, after.flowId, 'exec-1')).claimed).toBe(true);
      expect((await fixture.repo.claimFlow(code, after.flowId, 'exec-2')).claimed).toBe(false);
      await expect(fixture.repo.claimFlow(code, 'other-flow', 'exec-3')).rejects.toBeInstanceOf(
        FlowSupersededError,
      );
    });

    it('completes only while the row carries the flowId and is in progress', async () => {
      const code = freshCode();
      const { after } = await start(code, 'create');
      await fixture.repo.recordProgress(code, after.flowId, { workspaceId: 'ws-1', runId: 'run-1' }, NOW);

      await expect(
        fixture.repo.completeFlow(code, 'stale', { status: 'ready', now: NOW }),
      ).rejects.toBeInstanceOf(FlowSupersededError);
      const done = await fixture.repo.completeFlow(code, after.flowId, {
        status: 'ready',
        now: NOW,
        runStatus: 'applied',
        outputs: { bucket: 'b' },
        sensitiveOutputs: ['password'],
      });

      expect(done).toMatchObject({
        status: 'ready',
        workspaceId: 'ws-1',
        runStatus: 'applied',
        outputs: { bucket: 'b' },
      });
      await expect(
        fixture.repo.completeFlow(code, after.flowId, { status: 'failed', now: NOW }),
      ).rejects.toBeInstanceOf(FlowSupersededError);
      await expect(fixture.repo.recordProgress(code, 'stale', { runId: 'x' }, NOW)).rejects.toBeInstanceOf(
        FlowSupersededError,
      );
    });
  });

  describe('list', () => {
    it('pages through tenants of one status', async () => {
      const codes = Array.from({ length: 7 }, freshCode);
      for (const code of codes) await start(code, 'create');
      const failed = codes.slice(0, 5);
      for (const code of failed) {
        const row = await fixture.repo.get(code);
        await fixture.repo.completeFlow(code, row!.flowId, {
          status: 'failed',
          now: NOW,
          lastError: { code: 'X', message: 'm', at: NOW },
        });
      }

      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await fixture.repo.list({ status: 'failed', limit: 2, nextToken: token });
        seen.push(...page.items.map((t) => t.tenantCode));
        token = page.nextToken;
        pages++;
      } while (token);

      expect(seen.filter((c) => failed.includes(c as TenantCode)).sort()).toEqual([...failed].sort());
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('rejects a token that it did not issue', async () => {
      await expect(fixture.repo.list({ limit: 2, nextToken: 'not-a-token' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      const scanToken = Buffer.from(JSON.stringify({ tenantCode: 'abc' })).toString('base64url');
      await expect(
        fixture.repo.list({ status: 'ready', limit: 2, nextToken: scanToken }),
      ).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('decommission index', () => {
    it('holds only rows with a date that are not deleted', async () => {
      const due = freshCode();
      const later = freshCode();
      const none = freshCode();
      const gone = freshCode();
      await start(due, 'create', { decommissionDate: '2026-11-24' });
      await start(later, 'create', { decommissionDate: '2027-06-01' });
      await start(none, 'create');
      const g = await start(gone, 'create', { decommissionDate: '2026-11-24' });
      await fixture.repo.completeFlow(gone, g.after.flowId, { status: 'ready', now: NOW });
      const del = await start(gone, 'delete');
      await fixture.repo.completeFlow(gone, del.after.flowId, { status: 'deleted', now: NOW });

      const page = await fixture.repo.listDueForDecommission('2026-12-01');
      const codes = page.items.map((t) => t.tenantCode);

      expect(codes).toContain(due);
      expect(codes).not.toContain(later);
      expect(codes).not.toContain(none);
      expect(codes).not.toContain(gone);
    });

    it('drops a tenant from the index when its date is cleared', async () => {
      const code = freshCode();
      const c = await start(code, 'create', { decommissionDate: '2026-11-24' });
      await fixture.repo.completeFlow(code, c.after.flowId, { status: 'ready', now: NOW });
      await start(code, 'update', { decommissionDate: null });

      const codes = (await fixture.repo.listDueForDecommission('2026-12-01')).items.map((t) => t.tenantCode);
      expect(codes).not.toContain(code);
      expect((await rawItem(code))?.decommissionDate).toBeUndefined();
    });
  });

  it('never returns internal attributes', async () => {
    const code = freshCode();
    const { after } = await start(code, 'create', { decommissionDate: '2029-01-01' });
    await fixture.repo.claimFlow(code, after.flowId, 'exec');
    await fixture.tables.doc.send(
      new PutCommand({ TableName: fixture.tables.tenantTable, Item: { ...(await rawItem(code)) } }),
    );

    const row = await fixture.repo.get(code);
    expect(row).not.toHaveProperty('claimedBy');
    expect(row).not.toHaveProperty('decommissionBucket');
  });
});
