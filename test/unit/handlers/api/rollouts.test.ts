import { parseTenantCode } from '../../../../lambdas/core/tenant-code';
import type { ApiResult } from '../../../../lambdas/handlers/api/http';
import { allTablesSnapshot, apiOver, CURRENT_MODULE_VERSION, event, fixedClock } from '../../../support/api';
import { createTestTables, type TestTables } from '../../../support/dynamodb';

const clock = fixedClock('2026-12-02T10:00:00.000Z');
let tables: TestTables;
let h: ReturnType<typeof apiOver>;
beforeAll(async () => {
  tables = await createTestTables();
  h = apiOver(tables, clock);
  for (const code of ['fleet-a', 'fleet-b', 'fleet-c']) {
    await h.requests.create({ tenantCode: parseTenantCode(code) }, 'api:test');
  }
});
afterAll(async () => {
  await tables.drop();
});

/** The answer's JSON body, as the caller reads it. */
const bodyOf = <T>(result: ApiResult): T => JSON.parse(result.body) as T;

const errorOf = (result: ApiResult) =>
  bodyOf<{ error: { code: string; message: string; details?: { path: string; message: string }[] } }>(result)
    .error;

/** `field`: what the error must name (`''`: the body); null for a 404. */
type Case = [name: string, send: () => Promise<ApiResult>, status: number, field: string | null];
const start = (body: unknown) => () =>
  h.api.startRollout(event({ body: typeof body === 'string' ? body : JSON.stringify(body) }));
const UNKNOWN_ID = 'ro-20261202t000000-abcdef';

const badRequests: Case[] = [
  ['no body', () => h.api.startRollout(event({})), 400, ''],
  ['body not JSON', start('{'), 400, ''],
  ['body an array', start('[]'), 400, ''],
  ['unknown field', start({ maxConcurrency: 5 }), 400, ''],
  ['unknown selector field', start({ selector: { owner: 'x' } }), 400, 'selector'],
  ['selector not an object', start({ selector: 'all' }), 400, 'selector'],
  ['unknown tier', start({ selector: { tier: 'huge' } }), 400, 'selector.tier'],
  ['no tenant codes', start({ selector: { tenantCodes: [] } }), 400, 'selector.tenantCodes'],
  ['malformed tenant code', start({ selector: { tenantCodes: ['Fleet A'] } }), 400, 'selector.tenantCodes.0'],
  [
    'repeated tenant code',
    start({ selector: { tenantCodes: ['fleet-a', 'fleet-a'] } }),
    400,
    'selector.tenantCodes',
  ],
  [
    'tenant that does not exist',
    start({ selector: { tenantCodes: ['fleet-a', 'nobody-here'] } }),
    400,
    'selector.tenantCodes',
  ],
  ['status deleted', start({ selector: { statuses: ['deleted'] } }), 400, 'selector.statuses.0'],
  ['unknown status', start({ selector: { statuses: ['sleeping'] } }), 400, 'selector.statuses.0'],
  ['selector matching no tenant', start({ selector: { tier: 'large' } }), 400, 'selector'],
  ...[0, 51, -1, 1.5, '5', null].map((v): Case => [
    `maxConcurrent ${JSON.stringify(v)}`,
    start({ maxConcurrent: v }),
    400,
    'maxConcurrent',
  ]),
  ...[-1, 51, 0.5, 'one'].map((v): Case => [
    `canary ${JSON.stringify(v)}`,
    start({ canary: v }),
    400,
    'canary',
  ]),
  ...[-1, 0.5, 'none'].map((v): Case => [
    `maxFailures ${JSON.stringify(v)}`,
    start({ maxFailures: v }),
    400,
    'maxFailures',
  ]),
  ['malformed module version', start({ moduleVersion: 'latest' }), 400, 'moduleVersion'],
  ['a module version that is not deployed', start({ moduleVersion: 'aaaaaaaaaaaa' }), 400, 'moduleVersion'],
  ['list: limit 0', () => h.api.listRollouts(event({ query: { limit: '0' } })), 400, 'limit'],
  ['list: unknown parameter', () => h.api.listRollouts(event({ query: { status: 'running' } })), 400, ''],
  [
    'list: forged token',
    () => h.api.listRollouts(event({ query: { nextToken: 'bm90IGFuIGlk' } })),
    400,
    'nextToken',
  ],
  ['get: malformed id', () => h.api.getRollout(event({ id: 'rollout-1' })), 400, 'id'],
  ['get: unknown id', () => h.api.getRollout(event({ id: UNKNOWN_ID })), 404, null],
  ...(['pauseRollout', 'resumeRollout', 'cancelRollout'] as const).flatMap((route): Case[] => [
    [`${route}: malformed id`, () => h.api[route](event({ id: '../x' })), 400, 'id'],
    [`${route}: unknown id`, () => h.api[route](event({ id: UNKNOWN_ID })), 404, null],
    [`${route}: a body`, () => h.api[route](event({ id: UNKNOWN_ID, body: { force: true } })), 400, ''],
  ]),
];

describe('rollout routes: bad input', () => {
  it.each(badRequests)('%s: a 4xx naming the field, nothing written', async (_name, send, status, field) => {
    const before = await allTablesSnapshot(tables);
    const result = await send();
    expect(result.statusCode).toBe(status);
    const error = errorOf(result);
    expect(error.message.length).toBeGreaterThan(0);
    expect(field === null || (error.details ?? []).some((d) => d.path === field)).toBe(true);
    expect(await allTablesSnapshot(tables)).toEqual(before);
    expect(h.starter.started).toEqual([]);
  });
});

describe('rollout routes: lifecycle answers', () => {
  it('starts a rollout of the current version, refuses a second one, and answers 409 for a command its status forbids', async () => {
    const created = await h.api.startRollout(event({ body: { maxConcurrent: 2, canary: 1 } }));
    expect(created.statusCode).toBe(202);
    const rollout = bodyOf<{
      rolloutId: string;
      status: string;
      moduleVersion: string;
      counts: { total: number };
    }>(created);
    expect(rollout).toMatchObject({
      status: 'running',
      moduleVersion: CURRENT_MODULE_VERSION,
      counts: { total: 3 },
    });
    expect(h.starter.started).toEqual([
      { rolloutId: rollout.rolloutId, executionName: `${rollout.rolloutId}-start` },
    ]);
    expect(h.rolloutEvents.map((e) => e.event)).toEqual(['RolloutStarted']);

    const second = await h.api.startRollout(event({ body: {} }));
    expect(second.statusCode).toBe(409);
    expect(errorOf(second)).toMatchObject({ code: 'ROLLOUT_CONFLICT' });
    expect(errorOf(second).message).toContain(rollout.rolloutId);

    const id = rollout.rolloutId;
    expect((await h.api.pauseRollout(event({ id }))).statusCode).toBe(202);
    const again = await h.api.pauseRollout(event({ id }));
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).message).toMatch(/while it is paused/);
    const canceled = await h.api.cancelRollout(event({ id, body: '{}' }));
    expect(canceled.statusCode).toBe(202);
    expect(bodyOf<{ status: string }>(canceled).status).toBe('canceled');
    // The execution the cancel started ends it: pending tenants skipped, the module version free again.
    await h.rollouts.finishRollout(id);
    const ended = bodyOf<{ endedAt: string | null; counts: { skipped: number } }>(
      await h.api.getRollout(event({ id })),
    );
    expect(ended).toMatchObject({ counts: { skipped: 3 } });
    expect(ended.endedAt).not.toBeNull();
    for (const route of ['pauseRollout', 'resumeRollout', 'cancelRollout'] as const) {
      const refused = await h.api[route](event({ id }));
      expect([route, refused.statusCode, errorOf(refused).code]).toEqual([route, 409, 'ROLLOUT_CONFLICT']);
    }
    const listed = bodyOf<{ items: { rolloutId: string }[] }>(await h.api.listRollouts(event({})));
    expect(listed.items.map((r) => r.rolloutId)).toContain(id);
  });

  it('answers 503 when the execution cannot start, and leaves the module version free', async () => {
    h.starter.failNext = 1;
    const failed = await h.api.startRollout(event({ body: {} }));
    expect(failed.statusCode).toBe(503);
    expect(errorOf(failed).code).toBe('FLOW_START_FAILED');
    const retried = await h.api.startRollout(event({ body: {} }));
    expect(retried.statusCode).toBe(202);
  });
});
