import {
  DecommissionNotDueError,
  FlowStartError,
  TenantConflictError,
  TenantNotFoundError,
} from '../../../lambdas/core/errors';
import { ACTIONS, type Action } from '../../../lambdas/core/flows';
import { TENANT_STATUSES, type CurrentState, type TenantStatus } from '../../../lambdas/core/lifecycle';
import { parseTenantCode, type TenantCode } from '../../../lambdas/core/tenant-code';
import type { TenantRow } from '../../../lambdas/core/tenant-row';
import { errorResponse } from '../../../lambdas/handlers/api/http';
import { TenantRequests } from '../../../lambdas/use-cases/tenant-requests';
import { fixedClock } from '../../support/api';
import { MemoryEventPublisher } from '../../support/memory-ports';
import { MemoryTenantRepository } from '../../support/memory-tenant-repository';

const NOW = '2026-11-23T10:00:00.000Z';
const LATER = '2026-11-23T10:00:05.000Z';
const code = parseTenantCode('acme');

/** A stored row in `status`, as an earlier flow left it. */
function row(status: TenantStatus, extra: Partial<TenantRow> = {}): TenantRow {
  return {
    tenantCode: code,
    status,
    flowId: 'flow-old',
    version: 4,
    action: 'create',
    tier: 'medium',
    variables: { region: 'eu-west-1' },
    workspaceId: 'ws-acme',
    runId: 'run-old',
    runStatus: 'applied',
    outputs: { endpoint: 'https://acme.test' },
    sensitiveOutputs: [],
    requestedBy: 'api:alice',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-02T00:00:00.000Z',
    ...extra,
  };
}

function setup() {
  const repository = new MemoryTenantRepository();
  const publisher = new MemoryEventPublisher();
  let n = 0;
  const failures: unknown[] = [];
  const requests = new TenantRequests({
    repository,
    publisher,
    clock: fixedClock(NOW),
    newFlowId: () => `flow-${++n}`,
    onFlowStartFailure: (_tenant, error) => failures.push(error),
  });
  return { repository, publisher, requests, failures };
}

function send(requests: TenantRequests, action: Action, tenantCode: TenantCode = code) {
  if (action === 'create') return requests.create({ tenantCode, tier: 'large', variables: {} }, 'api:bob');
  if (action === 'update') return requests.update(tenantCode, { tier: 'large' }, 'api:bob');
  return requests.delete(tenantCode, 'api:bob');
}

/** The lifecycle of DESIGN.md, written out pair by pair, as the API answers it. */
const EXPECTED: Record<CurrentState, Record<Action, number | TenantStatus>> = {
  absent: { create: 'creating', update: 404, delete: 404 },
  creating: { create: 409, update: 409, delete: 409 },
  updating: { create: 409, update: 409, delete: 409 },
  deleting: { create: 409, update: 409, delete: 409 },
  ready: { create: 409, update: 'updating', delete: 'deleting' },
  failed: { create: 409, update: 'updating', delete: 'deleting' },
  deleted: { create: 'creating', update: 409, delete: 409 },
};
const pairs = (['absent', ...TENANT_STATUSES] as const).flatMap((s) =>
  ACTIONS.map((a) => [s, a, EXPECTED[s][a]] as const),
);
const allowed = pairs.filter((p): p is [CurrentState, Action, TenantStatus] => typeof p[2] === 'string');
const refused = pairs.filter((p): p is [CurrentState, Action, number] => typeof p[2] === 'number');

describe('TenantRequests over in-memory ports', () => {
  describe('lifecycle table', () => {
    it('covers every status × request pair', () => {
      expect(allowed.length + refused.length).toBe(7 * 3);
      expect(allowed).toHaveLength(6);
    });

    it.each(allowed)('from %s, %s → %s, and the request event', async (state, action, next) => {
      const { repository, publisher, requests } = setup();
      if (state !== 'absent') repository.put(row(state));

      const tenant = await send(requests, action);

      expect(tenant).toMatchObject({
        status: next,
        flowId: 'flow-1',
        action,
        version: state === 'absent' ? 1 : 5,
      });
      expect(publisher.published).toEqual([
        {
          action,
          detail: { tenantCode: code, flowId: 'flow-1', requestedBy: 'api:bob', requestedAt: NOW },
        },
      ]);
    });

    it.each(refused)('from %s, %s → %i, and nothing changes', async (state, action, answer) => {
      const { repository, publisher, requests } = setup();
      if (state !== 'absent') repository.put(row(state));
      const before = repository.row(code);

      const error = await send(requests, action).catch((e: unknown) => e);

      expect(errorResponse(error).statusCode).toBe(answer);
      expect(repository.row(code)).toEqual(before);
      expect(publisher.published).toEqual([]);
      expect((await repository.listHistory(code, { limit: 10 })).items).toEqual([]);
    });

    it('names the current status in a conflict', async () => {
      const { repository, requests } = setup();
      repository.put(row('updating'));

      const error = await requests.delete(code, 'api:bob').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TenantConflictError);
      expect(JSON.parse(errorResponse(error).body)).toMatchObject({
        error: { code: 'TENANT_CONFLICT', details: { currentStatus: 'updating' } },
      });
    });
  });

  describe('what a transition writes', () => {
    it('starts a create clean over a deleted tenant, keeping createdAt', async () => {
      const { repository, requests } = setup();
      repository.put(
        row('deleted', {
          claimedBy: 'exec-old',
          lastError: { code: 'X', message: 'old', at: NOW },
          decommissionDate: '2027-01-01',
        }),
      );

      const tenant = await requests.create({ tenantCode: code, variables: { a: '1' } }, 'api:bob');

      expect(tenant).toEqual({
        tenantCode: code,
        status: 'creating',
        flowId: 'flow-1',
        version: 5,
        action: 'create',
        tier: 'small',
        variables: { a: '1' },
        requestedBy: 'api:bob',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: NOW,
      });
      expect(repository.row(code)).not.toHaveProperty('claimedBy');
    });

    it('changes only what an update gives, and records it in the history', async () => {
      const { repository, requests } = setup();
      repository.put(row('ready', { decommissionDate: '2027-01-01' }));

      const tenant = await requests.update(code, { decommissionDate: null }, 'api:bob');

      expect(tenant).toMatchObject({ tier: 'medium', variables: { region: 'eu-west-1' }, outputs: {} });
      expect(tenant.outputs).toEqual({ endpoint: 'https://acme.test' });
      expect(tenant).not.toHaveProperty('decommissionDate');
      expect(tenant).not.toHaveProperty('runId');
      const { items } = await repository.listHistory(code, { limit: 10 });
      expect(items).toEqual([
        { at: NOW, kind: 'status', flowId: 'flow-1', from: 'ready', to: 'updating' },
        {
          at: NOW,
          kind: 'request',
          action: 'update',
          requestedBy: 'api:bob',
          flowId: 'flow-1',
          changes: { decommissionDate: { from: '2027-01-01', to: null } },
        },
      ]);
    });

    it('decides again when the row moved between its read and its write: one racing request wins', async () => {
      const { repository, requests } = setup();
      repository.put(row('ready'));
      // Another request deletes the tenant while this update is between its read and its write.
      repository.interleave(() => repository.put(row('deleting', { flowId: 'flow-other', version: 5 })));

      const error = await requests.update(code, { tier: 'large' }, 'api:bob').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TenantConflictError);
      expect(repository.row(code)).toMatchObject({ status: 'deleting', flowId: 'flow-other' });
      expect(repository.writes).toBe(1);
    });

    it('gives up with the status it last saw when the row keeps moving', async () => {
      const { repository, requests } = setup();
      repository.put(row('ready'));
      for (let i = 0; i < 3; i++) {
        repository.interleave(() => repository.put(row('ready', { version: 10 + i })));
      }

      const error = await requests.update(code, { tier: 'large' }, 'api:bob').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TenantConflictError);
      expect(error).toMatchObject({ currentStatus: 'ready' });
      expect(repository.writes).toBe(3);
    });
  });

  describe('undo when the request event cannot be published', () => {
    it('removes a first create again and answers that nothing changed', async () => {
      const { repository, publisher, requests, failures } = setup();
      publisher.failNext();

      const error = await send(requests, 'create').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(FlowStartError);
      expect(errorResponse(error).statusCode).toBe(503);
      expect(repository.row(code)).toBeUndefined();
      expect(failures).toHaveLength(1);
      const { items } = await repository.listHistory(code, { limit: 10 });
      expect(items[0]).toMatchObject({ kind: 'status', from: 'creating', to: 'deleted' });
    });

    it('puts an updated row back as it was, with a newer version', async () => {
      const { repository, publisher, requests } = setup();
      const before = row('ready', { decommissionDate: '2027-01-01', claimedBy: 'exec-old' });
      repository.put(before);
      publisher.failNext();

      await expect(requests.update(code, { tier: 'large', variables: {} }, 'api:bob')).rejects.toThrow(
        FlowStartError,
      );

      const shown: Partial<TenantRow> = { ...before, version: 6 };
      delete shown.claimedBy;
      expect(await repository.get(code)).toEqual(shown);
      expect(publisher.published).toEqual([]);
    });

    it('leaves the row alone when another flow already moved it on', async () => {
      const { repository, publisher, requests } = setup();
      repository.put(row('ready'));
      const moved = row('failed', { flowId: 'flow-other', version: 9 });
      jest.spyOn(publisher, 'publish').mockImplementationOnce(() => {
        repository.put(moved);
        return Promise.reject(new Error('EventBridge unavailable'));
      });

      await expect(send(requests, 'delete')).rejects.toThrow(FlowStartError);

      expect(repository.row(code)).toEqual(moved);
    });
  });

  describe('decommission', () => {
    it('deletes only while the date is due', async () => {
      const { repository, requests } = setup();
      repository.put(row('ready', { decommissionDate: '2026-11-24' }));

      await expect(requests.delete(code, 'system', { dueBy: '2026-11-23' })).rejects.toThrow(
        DecommissionNotDueError,
      );
      await expect(requests.delete(code, 'system', { dueBy: '2026-11-24' })).resolves.toMatchObject({
        status: 'deleting',
        requestedBy: 'system',
      });
    });

    it('re-checks the date on the row as it is when the write lands', async () => {
      const { repository, requests } = setup();
      repository.put(row('ready', { decommissionDate: '2026-11-20' }));
      // A person moves the date out while the sweep is between its read and its write.
      repository.interleave(() =>
        repository.put(row('ready', { decommissionDate: '2027-06-01', version: 5 })),
      );

      await expect(requests.delete(code, 'system', { dueBy: '2026-11-23' })).rejects.toThrow(
        DecommissionNotDueError,
      );
      expect(repository.row(code)).toMatchObject({ status: 'ready', decommissionDate: '2027-06-01' });
    });
  });

  describe('reads', () => {
    it('answers 404 for a tenant that never existed, and keeps a deleted one’s history', async () => {
      const { repository, requests } = setup();
      await expect(requests.get(code)).rejects.toThrow(TenantNotFoundError);
      await expect(requests.history(code, { limit: 5 })).rejects.toThrow(TenantNotFoundError);

      await send(requests, 'create');
      await repository.completeFlow(code, 'flow-1', { status: 'ready', now: LATER });
      await send(requests, 'delete');
      await repository.completeFlow(code, 'flow-2', { status: 'deleted', now: LATER });

      const history = await requests.history(code, { limit: 2 });
      expect(history.items.map((i) => i.kind)).toEqual(['status', 'status']);
      expect(history.nextToken).toBeDefined();
      expect((await requests.get(code)).status).toBe('deleted');
    });
  });
});
