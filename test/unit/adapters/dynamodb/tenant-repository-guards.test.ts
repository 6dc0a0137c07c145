import { randomUUID } from 'node:crypto';
import {
  DecommissionNotDueError,
  FlowSupersededError,
  ValidationError,
} from '../../../../lambdas/core/errors';
import type { TenantStatus } from '../../../../lambdas/core/lifecycle';
import { NOW, repositoryFixture } from '../../../support/repository';

const { fixture, freshCode, start, rawItem } = repositoryFixture('guard');

describe('DynamoDbTenantRepository guards', () => {
  describe('claimFlow', () => {
    it('a late request event cannot claim a flow the reconciler already failed', async () => {
      const code = freshCode();
      const { after } = await start(code, 'create');
      await fixture.repo.failLostFlow(code, after.flowId, undefined, {
        code: 'FlowLost',
        message: 'no execution picked the flow up',
        at: NOW,
      });
      const before = await rawItem(code);

      await expect(fixture.repo.claimFlow(code, after.flowId, 'exec-late')).rejects.toBeInstanceOf(
        FlowSupersededError,
      );
      expect(await rawItem(code)).toEqual(before);
    });

    it.each<TenantStatus>(['ready', 'failed'])('nor one whose flow already ended %s', async (status) => {
      const code = freshCode();
      const { after } = await start(code, 'create');
      await fixture.repo.completeFlow(code, after.flowId, { status, now: NOW });

      await expect(fixture.repo.claimFlow(code, after.flowId, 'exec-late')).rejects.toBeInstanceOf(
        FlowSupersededError,
      );
      expect((await rawItem(code))?.claimedBy).toBeUndefined();
    });

    it('still claims an in-progress flow, and the same execution again', async () => {
      const code = freshCode();
      const { after } = await start(code, 'create');
      expect((await fixture.repo.claimFlow(code, after.flowId, 'exec-1')).claimed).toBe(true);
      expect((await fixture.repo.claimFlow(code, after.flowId, 'exec-1')).claimed).toBe(true);
      expect((await fixture.repo.claimFlow(code, after.flowId, 'exec-2')).claimed).toBe(false);
    });
  });

  describe('delete transition with dueBy (decommission)', () => {
    async function readyWithDate(decommissionDate?: string) {
      const code = freshCode();
      const { after } = await start(code, 'create', decommissionDate ? { decommissionDate } : {});
      await fixture.repo.completeFlow(code, after.flowId, { status: 'ready', now: NOW });
      return code;
    }
    const deleteDueBy = (code: ReturnType<typeof freshCode>, dueBy: string) =>
      fixture.repo.transition({
        tenantCode: code,
        action: 'delete',
        flowId: randomUUID(),
        requestedBy: 'system',
        now: NOW,
        changes: {},
        dueBy,
      });

    it('starts the delete while the date is due', async () => {
      const code = await readyWithDate('2026-11-01');
      const { after } = await deleteDueBy(code, '2026-11-23');
      expect(after.status).toBe('deleting');
    });

    it.each([
      ['moved into the future', '2027-05-01'],
      ['cleared', undefined],
    ])('refuses it, writing nothing, when the date was %s', async (_what, date) => {
      const code = await readyWithDate(date);
      const before = await rawItem(code);

      await expect(deleteDueBy(code, '2026-11-23')).rejects.toBeInstanceOf(DecommissionNotDueError);
      expect(await rawItem(code)).toEqual(before);
    });
  });

  describe('page tokens', () => {
    async function tokenFor(status: 'ready' | 'creating'): Promise<string> {
      for (let i = 0; i < 3; i++) await start(freshCode(), 'create');
      const page = await fixture.repo.list({ status, limit: 1 });
      if (!page.nextToken) throw new Error('expected a second page');
      return page.nextToken;
    }
    const forge = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');

    it('a token from one status reused for another is a ValidationError, not a DynamoDB error', async () => {
      const token = await tokenFor('creating');
      await expect(
        fixture.repo.list({ status: 'failed', limit: 5, nextToken: token }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(fixture.repo.list({ limit: 5, nextToken: token })).rejects.toBeInstanceOf(ValidationError);
    });

    it('a status token still pages its own query', async () => {
      const token = await tokenFor('creating');
      const next = await fixture.repo.list({ status: 'creating', limit: 1, nextToken: token });
      expect(next.items).toHaveLength(1);
    });

    it.each([
      ['an empty tenant code', { tenantCode: '', status: 'ready' }],
      ['a malformed tenant code', { tenantCode: 'NOT A CODE', status: 'ready' }],
      ['an unknown status', { tenantCode: 'acme-lab', status: 'sleeping' }],
      ['a huge key', { tenantCode: 'a'.repeat(5000), status: 'ready' }],
      ['a number', { tenantCode: 7, status: 'ready' }],
    ])('a forged status token with %s is a ValidationError', async (_what, key) => {
      await expect(
        fixture.repo.list({ status: 'ready', limit: 5, nextToken: forge(key) }),
      ).rejects.toBeInstanceOf(ValidationError);
    });

    it.each([
      ['an empty tenant code', { tenantCode: '' }],
      ['a malformed tenant code', { tenantCode: '-x-' }],
      ['an extra key', { tenantCode: 'acme-lab', status: 'ready' }],
    ])('a forged scan token with %s is a ValidationError', async (_what, key) => {
      await expect(fixture.repo.list({ limit: 5, nextToken: forge(key) })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('a forged decommission token is refused', async () => {
      await expect(
        fixture.repo.listDueForDecommission(
          '2026-11-23',
          forge({ tenantCode: 'acme-lab', decommissionBucket: 'other', decommissionDate: '2026-01-01' }),
        ),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        fixture.repo.listDueForDecommission(
          '2026-11-23',
          forge({ tenantCode: 'acme-lab', decommissionBucket: 'scheduled', decommissionDate: '' }),
        ),
      ).rejects.toBeInstanceOf(ValidationError);
    });
  });
});
