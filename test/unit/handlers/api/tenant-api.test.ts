import { randomUUID } from 'node:crypto';
import type { Tenant } from '../../../../lambdas/core/tenant';
import { parseTenantCode } from '../../../../lambdas/core/tenant-code';
import { createTestTables, type TestTables } from '../../../support/dynamodb';
import { apiOver, bodyOf, event, fixedClock, RecordingPublisher, tableSnapshot } from '../../../support/api';

const clock = fixedClock('2026-11-23T10:00:00.000Z');
let tables: TestTables;
let n = 0;
const code = () => `acme-${Date.now().toString(36)}-${n++}`;

beforeAll(async () => {
  tables = await createTestTables();
});
afterAll(() => tables.drop());

async function readyTenant(api: ReturnType<typeof apiOver>, tenantCode: string, body: object = {}) {
  const created = await api.api.create(event({ body: { tenantCode, ...body } }));
  expect(created.statusCode).toBe(202);
  const { flowId } = bodyOf(created) as unknown as Tenant;
  await api.repository.completeFlow(parseTenantCode(tenantCode), flowId, {
    status: 'ready',
    now: clock.now().toISOString(),
    outputs: { bucket_name: `${tenantCode}-data` },
    sensitiveOutputs: ['admin_password'],
  });
}

describe('tenant API', () => {
  describe('create', () => {
    it('answers 202 with the tenant in creating and publishes one create event', async () => {
      const api = apiOver(tables, clock);
      const tenantCode = code();

      const res = await api.api.create(
        event({
          body: {
            tenantCode,
            tier: 'medium',
            variables: { notebook_scheme: 'http' },
            decommissionDate: '2027-01-31',
          },
        }),
      );

      expect(res.statusCode).toBe(202);
      const body = bodyOf(res);
      expect(body).toMatchObject({
        tenantCode,
        status: 'creating',
        tier: 'medium',
        variables: { notebook_scheme: 'http' },
        decommissionDate: '2027-01-31',
        version: 1,
        requestedBy: 'api:arn:aws:iam::123456789012:role/caller',
      });
      expect(api.publisher.events).toEqual([
        {
          action: 'create',
          detail: {
            tenantCode,
            flowId: body.flowId,
            requestedBy: 'api:arn:aws:iam::123456789012:role/caller',
            requestedAt: '2026-11-23T10:00:00.000Z',
          },
        },
      ]);
    });

    it('answers 409 naming the status when the tenant exists', async () => {
      const api = apiOver(tables, clock);
      const tenantCode = code();
      await api.api.create(event({ body: { tenantCode } }));

      const res = await api.api.create(event({ body: { tenantCode } }));

      expect(res.statusCode).toBe(409);
      expect(bodyOf(res).error).toMatchObject({
        code: 'TENANT_CONFLICT',
        details: { currentStatus: 'creating' },
      });
      expect(api.publisher.events).toHaveLength(1);
    });
  });

  describe('get and list', () => {
    it('returns the row with outputs, sensitive ones redacted by name', async () => {
      const api = apiOver(tables, clock);
      const tenantCode = code();
      await readyTenant(api, tenantCode);

      const res = await api.api.get(event({ code: tenantCode }));

      expect(res.statusCode).toBe(200);
      expect(bodyOf(res)).toMatchObject({
        status: 'ready',
        outputs: { bucket_name: `${tenantCode}-data`, admin_password: '(sensitive)' },
        sensitiveOutputs: ['admin_password'],
      });
    });

    it('answers 404 for an unknown tenant', async () => {
      const res = await apiOver(tables, clock).api.get(event({ code: 'nobody-here' }));
      expect(res.statusCode).toBe(404);
      expect(bodyOf(res).error?.code).toBe('TENANT_NOT_FOUND');
    });

    it('lists by status page by page', async () => {
      const api = apiOver(tables, clock);
      const codes = [code(), code(), code()];
      for (const c of codes) await readyTenant(api, c);

      const seen: string[] = [];
      let nextToken: string | undefined;
      do {
        const res = await api.api.list(
          event({ query: { status: 'ready', limit: '1', ...(nextToken ? { nextToken } : {}) } }),
        );
        expect(res.statusCode).toBe(200);
        const body = bodyOf(res) as {
          items: Array<{ tenantCode: string; status: string }>;
          nextToken?: string;
        };
        expect(body.items.length).toBeLessThanOrEqual(1);
        for (const item of body.items) expect(item.status).toBe('ready');
        seen.push(...body.items.map((i) => i.tenantCode));
        nextToken = body.nextToken;
      } while (nextToken);

      expect(seen).toEqual(expect.arrayContaining(codes));
    });
  });

  describe('update and delete', () => {
    it('update re-runs from ready with the new values; delete then starts from ready only', async () => {
      const api = apiOver(tables, clock);
      const tenantCode = code();
      await readyTenant(api, tenantCode, { variables: { notebook_port: '8001' } });

      const updated = await api.api.update(
        event({ code: tenantCode, body: { variables: { notebook_port: '8002' }, tier: 'large' } }),
      );
      expect(updated.statusCode).toBe(202);
      expect(bodyOf(updated)).toMatchObject({
        status: 'updating',
        variables: { notebook_port: '8002' },
        tier: 'large',
        version: 3,
      });

      const blocked = await api.api.delete(event({ code: tenantCode }));
      expect(blocked.statusCode).toBe(409);
      expect(bodyOf(blocked).error?.details).toEqual({ currentStatus: 'updating' });

      expect(api.publisher.events.map((e) => e.action)).toEqual(['create', 'update']);
    });

    it('an empty update retries a failed tenant with its current values', async () => {
      const api = apiOver(tables, clock);
      const tenantCode = code();
      const created = await api.api.create(
        event({ body: { tenantCode, variables: { notebook_port: '8001' } } }),
      );
      const { flowId } = bodyOf(created) as unknown as Tenant;
      await api.repository.completeFlow(parseTenantCode(tenantCode), flowId, {
        status: 'failed',
        now: clock.now().toISOString(),
        lastError: { code: 'RunFailed', message: 'boom', at: clock.now().toISOString() },
      });

      const retried = await api.api.update(event({ code: tenantCode, body: {} }));

      expect(retried.statusCode).toBe(202);
      expect(bodyOf(retried)).toMatchObject({
        status: 'updating',
        variables: { notebook_port: '8001' },
        lastError: null,
      });
      expect(api.publisher.events.at(-1)?.action).toBe('update');
    });

    it('delete answers 202 deleting and publishes to the delete bus', async () => {
      const api = apiOver(tables, clock);
      const tenantCode = code();
      await readyTenant(api, tenantCode);

      const res = await api.api.delete(event({ code: tenantCode }));

      expect(res.statusCode).toBe(202);
      expect(bodyOf(res).status).toBe('deleting');
      expect(api.publisher.events.at(-1)?.action).toBe('delete');
    });

    it('update and delete of an unknown tenant are 404 and write nothing', async () => {
      const api = apiOver(tables, clock);
      const before = await tableSnapshot(tables);
      expect(
        (await api.api.update(event({ code: 'ghost-tenant', body: { tier: 'small' } }))).statusCode,
      ).toBe(404);
      expect((await api.api.delete(event({ code: 'ghost-tenant' }))).statusCode).toBe(404);
      expect(await tableSnapshot(tables)).toEqual(before);
    });

    it('of two racing conflicting requests exactly one wins', async () => {
      for (let i = 0; i < 25; i++) {
        const api = apiOver(tables, clock);
        const tenantCode = code();
        await readyTenant(api, tenantCode);

        const answers = await Promise.all([
          api.api.update(event({ code: tenantCode, body: { tier: 'large' } })),
          api.api.delete(event({ code: tenantCode })),
        ]);

        expect(answers.map((a) => a.statusCode).sort()).toEqual([202, 409]);
        expect(api.publisher.events).toHaveLength(2);
      }
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the first answer to a retried create and starts one flow', async () => {
      const api = apiOver(tables, clock);
      const key = randomUUID();
      const req = event({ body: { tenantCode: code() }, headers: { 'Idempotency-Key': key } });

      const first = await api.api.create(req);
      const second = await api.api.create(req);

      expect(first.statusCode).toBe(202);
      expect(second.statusCode).toBe(202);
      expect(second.body).toEqual(first.body);
      expect(api.publisher.events).toHaveLength(1);
    });

    it('starts one flow when the same retried delete arrives concurrently', async () => {
      const api = apiOver(tables, clock);
      const tenantCode = code();
      await readyTenant(api, tenantCode);
      const req = event({ code: tenantCode, headers: { 'idempotency-key': randomUUID() } });

      const answers = await Promise.all([api.api.delete(req), api.api.delete(req), api.api.delete(req)]);

      expect(answers.filter((a) => a.statusCode === 202).length).toBeGreaterThanOrEqual(1);
      for (const a of answers.filter((x) => x.statusCode !== 202)) {
        expect(a.statusCode).toBe(409);
        expect(['IDEMPOTENCY_IN_PROGRESS', 'TENANT_CONFLICT']).toContain(bodyOf(a).error?.code);
      }
      expect(api.publisher.events.filter((e) => e.action === 'delete')).toHaveLength(1);
    });

    it('rejects the same key with a different body as 422', async () => {
      const api = apiOver(tables, clock);
      const key = randomUUID();
      await api.api.create(event({ body: { tenantCode: code() }, headers: { 'Idempotency-Key': key } }));

      const res = await api.api.create(
        event({ body: { tenantCode: code() }, headers: { 'Idempotency-Key': key } }),
      );

      expect(res.statusCode).toBe(422);
      expect(bodyOf(res).error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(api.publisher.events).toHaveLength(1);
    });

    it('does not remember a failed answer: the retry can succeed', async () => {
      const publisher = new RecordingPublisher();
      const api = apiOver(tables, clock, publisher);
      publisher.failNext = 1;
      const req = event({ body: { tenantCode: code() }, headers: { 'Idempotency-Key': randomUUID() } });

      expect((await api.api.create(req)).statusCode).toBe(503);
      expect((await api.api.create(req)).statusCode).toBe(202);
      expect(publisher.events).toHaveLength(1);
    });
  });

  describe('when the request event cannot be published', () => {
    it('answers 503 and removes the row of a first create', async () => {
      const publisher = new RecordingPublisher();
      const api = apiOver(tables, clock, publisher);
      const tenantCode = code();
      publisher.failNext = 1;

      const res = await api.api.create(event({ body: { tenantCode } }));

      expect(res.statusCode).toBe(503);
      expect(bodyOf(res).error?.code).toBe('FLOW_START_FAILED');
      expect((await api.api.get(event({ code: tenantCode }))).statusCode).toBe(404);
    });

    it('answers 503 and puts an updated row back as it was', async () => {
      const publisher = new RecordingPublisher();
      const api = apiOver(tables, clock, publisher);
      const tenantCode = code();
      await readyTenant(api, tenantCode, { variables: { notebook_port: '8001' } });
      publisher.failNext = 1;

      const res = await api.api.update(
        event({ code: tenantCode, body: { variables: { notebook_port: '8002' } } }),
      );

      expect(res.statusCode).toBe(503);
      const row = bodyOf(await api.api.get(event({ code: tenantCode })));
      expect(row).toMatchObject({ status: 'ready', variables: { notebook_port: '8001' } });
    });
  });
});
