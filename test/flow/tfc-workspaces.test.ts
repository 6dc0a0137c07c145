import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { workspaceName } from '../../lambdas/core/workspace';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { ENVIRONMENT, flowHarness } from '../support/flow-harness';
import { FAST_TIMINGS, startTfcFake, type FaultReply, type TfcFake } from '../support/tfc-fake/server';

let tables: TestTables;
let fake: TfcFake;
let n = 0;
const newCode = (prefix = 'ws') => parseTenantCode(`${prefix}-${Date.now().toString(36)}-${n++}`);
/** Paths (regular expressions) answered 404 as TFC answers a token without permission (index.mdx). */
const hidden: RegExp[] = [];
const notPermitted: FaultReply = {
  status: 404,
  body: { errors: [{ status: '404', title: 'not found' }] },
};

beforeAll(async () => {
  tables = await createTestTables();
  fake = await startTfcFake({
    ...FAST_TIMINGS,
    organization: 'acme',
    token: 'tfc-test-token-123',
    outputs: (_ws, vars) => [{ name: 'bucket_name', value: `${vars.tenant_code}-data` }],
    faultHook: (req) => (hidden.some((p) => p.test(req.path)) ? notPermitted : undefined),
  });
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});
afterEach(() => {
  hidden.length = 0;
});

async function readyTenant(h: ReturnType<typeof flowHarness>) {
  const code = newCode();
  await h.requests.create({ tenantCode: code }, 'api:test');
  expect((await h.executeLast()).status).toBe('succeeded');
  const tenant = await h.repository.get(code);
  expect(tenant?.status).toBe('ready');
  return { code, workspaceId: tenant?.workspaceId ?? '', name: workspaceName(ENVIRONMENT, code) };
}

/** The workspace exists but answers 404 to the control plane's token (the fake's per-token visibility). */
const hideWorkspace = (id: string) => fake.hideWorkspace(id);
/** The token has lost access to the organization too. */
const hideOrganization = () => hidden.push(/^\/api\/v2\/organizations\/acme$/);

/**
 * Deletes a workspace through the API behind the flow's back, as a person would. The flow's own requests
 * share the token's rate limit (index.mdx "Rate limiting"), so a 429 is waited out for the seconds TFC's
 * `X-RateLimit-Reset` names, as the client does.
 */
async function deleteBehindTheFlow(workspaceId: string): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const res = await request(`${fake.url}/api/v2/workspaces/${workspaceId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/vnd.api+json' },
    });
    await res.body.dump();
    if (res.statusCode !== 429 || attempt === 5) return res.statusCode;
    await sleep(Math.ceil(Number(res.headers['x-ratelimit-reset'] ?? 1) * 1000));
  }
}

describe('404 is not proof', () => {
  it('a delete whose workspace answers 404 to a token that cannot read the organization fails WorkspaceNotVisible', async () => {
    const h = flowHarness(tables, fake);
    const { code, workspaceId, name } = await readyTenant(h);
    hideWorkspace(workspaceId);
    hideOrganization();
    const runsBefore = fake.runs.length;
    fake.clearRequests();

    await h.requests.delete(code, 'api:test');
    await h.executeLast();

    const tenant = await h.repository.get(code);
    expect(tenant?.status).toBe('failed');
    expect(tenant?.lastError).toMatchObject({ code: 'WorkspaceNotVisible' });
    expect(tenant?.lastError?.message).toContain(name);
    expect(fake.runs.length).toBe(runsBefore);
    expect(fake.workspace(name)).toBeDefined();
  });

  it('a workspace that disappears after its destroy run, behind a token that lost access, never yields deleted', async () => {
    const h = flowHarness(tables, fake, {
      wrapBackend: (backend) => ({
        ...backend,
        startRun: (r) => backend.startRun(r),
        getRun: (r) => backend.getRun(r),
        discardRun: (r) => backend.discardRun(r),
        getOutputs: (id, r) => backend.getOutputs(id, r),
        deleteWorkspace: (id, code) => {
          // Access is lost between the destroy run and the workspace deletion.
          hideWorkspace(id);
          hideOrganization();
          return backend.deleteWorkspace(id, code);
        },
      }),
    });
    const { code, name } = await readyTenant(h);

    await h.requests.delete(code, 'api:test');
    await h.executeLast();

    const tenant = await h.repository.get(code);
    expect(tenant?.status).toBe('failed');
    expect(tenant?.lastError?.code).toBe('WorkspaceNotVisible');
    expect(fake.workspace(name)).toBeDefined();
  });

  it('a delete whose workspace is shown to be gone is deleted and creates nothing', async () => {
    const h = flowHarness(tables, fake);
    const { code, workspaceId, name } = await readyTenant(h);
    expect(await deleteBehindTheFlow(workspaceId)).toBe(204);
    expect(fake.workspace(name)).toBeUndefined();
    fake.clearRequests();

    await h.requests.delete(code, 'api:test');
    await h.executeLast();

    expect((await h.repository.get(code))?.status).toBe('deleted');
    expect(fake.countBy('POST /api/v2/organizations/:org/workspaces')).toBe(0);
    expect(fake.countBy('POST /api/v2/runs')).toBe(0);
    expect(fake.countBy('GET /api/v2/organizations/:org')).toBeGreaterThanOrEqual(1);
    expect(fake.workspace(name)).toBeUndefined();
  });

  it('outputs answering 404 after an apply fail the flow instead of storing an empty map', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    hidden.push(/\/current-state-version-outputs$/);
    await h.requests.create({ tenantCode: code }, 'api:test');

    await h.executeLast();

    const tenant = await h.repository.get(code);
    expect(tenant?.status).toBe('failed');
    expect(tenant?.lastError?.code).toBe('OutputsNotVisible');
    expect(tenant?.outputs ?? {}).toEqual({});
  });

  it('an update uses the recorded workspace id, and one that answers 404 is never replaced', async () => {
    const h = flowHarness(tables, fake);
    const { code, workspaceId, name } = await readyTenant(h);
    fake.clearRequests();

    await h.requests.update(code, { tier: 'large' }, 'api:test');
    await h.executeLast();

    expect((await h.repository.get(code))?.status).toBe('ready');
    expect(fake.countBy('POST /api/v2/organizations/:org/workspaces')).toBe(0);
    expect(fake.countBy('GET /api/v2/organizations/:org/workspaces/:name')).toBe(0);

    hideWorkspace(workspaceId);
    await h.requests.update(code, { tier: 'small' }, 'api:test');
    await h.executeLast();

    expect((await h.repository.get(code))?.lastError?.code).toBe('WorkspaceNotVisible');
    expect(fake.workspaces.filter((ws) => ws.name === name)).toHaveLength(1);
  });

  it('safe delete 409s told apart: processing is retried until deleted', async () => {
    // The destroy's state stays "processing" until the second safe delete arrives, whatever the load.
    let offset = 0;
    let safeDeletes = 0;
    const slowState = await startTfcFake({
      ...FAST_TIMINGS,
      organization: 'acme',
      token: 'tfc-test-token-123',
      clock: () => Date.now() + offset,
      outputsProcessingMs: (run) => (run.isDestroy ? 3_600_000 : 0),
      faultHook: (req) => {
        if (req.method === 'POST' && req.path.endsWith('/actions/safe-delete') && ++safeDeletes >= 2) {
          offset = 7_200_000;
        }
        return undefined;
      },
    });
    try {
      const h = flowHarness(tables, slowState);
      const code = newCode();
      await h.requests.create({ tenantCode: code }, 'api:test');
      await h.executeLast();
      await h.requests.delete(code, 'api:test');
      await h.executeLast();

      expect((await h.repository.get(code))?.status).toBe('deleted');
      const answers = slowState.requests
        .filter((r) => r.path.endsWith('/actions/safe-delete'))
        .map((r) => r.status);
      expect(answers[0]).toBe(409);
      expect(answers.at(-1)).toBe(204);
    } finally {
      await slowState.close();
    }
  });

  it('safe delete 409s told apart: still managing resources fails with the reason', async () => {
    const keepFake = await startTfcFake({
      ...FAST_TIMINGS,
      organization: 'acme',
      token: 'tfc-test-token-123',
      // A destroy that plans but applies nothing leaves the resources in place.
      runOutcome: (_ws, run) => (run.isDestroy ? 'planned_and_finished' : undefined),
    });
    try {
      const h = flowHarness(tables, keepFake);
      const kept = newCode('keep');
      await h.requests.create({ tenantCode: kept }, 'api:test');
      await h.executeLast();
      await h.requests.delete(kept, 'api:test');
      await h.executeLast();

      const tenant = await h.repository.get(kept);
      expect(tenant?.status).toBe('failed');
      expect(tenant?.lastError).toMatchObject({
        code: 'WorkspaceNotSafeToDeleteError',
        message: expect.stringContaining('still manages resources') as unknown,
      });
      expect(keepFake.workspace(workspaceName(ENVIRONMENT, kept))).toBeDefined();
    } finally {
      await keepFake.close();
    }
  });
});
