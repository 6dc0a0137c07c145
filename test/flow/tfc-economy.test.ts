import { parseTenantCode, type TenantCode } from '../../lambdas/core/tenant-code';
import { moduleVersionsWorkspaceName, workspaceName } from '../../lambdas/core/workspace';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { ENVIRONMENT, flowHarness, type FlowHarness } from '../support/flow-harness';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

let tables: TestTables;
let fake: TfcFake;
let n = 0;
const newCode = (prefix = 'eco') => parseTenantCode(`${prefix}-${Date.now().toString(36)}-${n++}`);
const UPLOADS = 'POST /api/v2/workspaces/:id/configuration-versions';
const POLLS = 'GET /api/v2/runs/:id';

/** Creates a tenant through `h` and runs its flow there (one process of several sharing the fake). */
async function createIn(h: FlowHarness, code: TenantCode): Promise<void> {
  const tenant = await h.requests.create({ tenantCode: code }, 'api:test');
  await h.execute('create', {
    tenantCode: code,
    flowId: tenant.flowId,
    requestedBy: 'api:test',
    requestedAt: tenant.updatedAt,
  });
}

beforeAll(async () => {
  tables = await createTestTables();
  fake = await startTfcFake({
    ...FAST_TIMINGS,
    organization: 'acme',
    token: 'tfc-test-token-123',
    outputs: (ws, vars) =>
      ws.includes('-many-')
        ? Array.from({ length: 25 }, (_, i) => ({ name: `out_${i}`, value: `${vars.tenant_code}-${i}` }))
        : [{ name: 'bucket_name', value: `${vars.tenant_code}-${vars.region ?? 'none'}` }],
  });
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});

/** TFC requests made since the log was cleared, run polls apart. */
function requestsBesidesPolls(): string[] {
  const isPoll = (r: { method: string; path: string }) =>
    r.method === 'GET' && /^\/api\/v2\/runs\/[^/]+$/.test(r.path);
  return fake.requests
    .filter((r) => r.answeredBy === 'api' && !isPoll(r))
    .map((r) => `${r.method} ${r.path}`);
}

describe('request economy (one process, module version already uploaded)', () => {
  it('a create with 4 tenant variables makes at most 6 requests plus one per poll; a delete at most 5', async () => {
    const h = flowHarness(tables, fake);
    const warm = newCode();
    await h.requests.create({ tenantCode: warm }, 'api:test');
    expect((await h.executeLast()).status).toBe('succeeded');

    const code = newCode();
    const variables = { region: 'eu-west-1', owner: 'team-a', cost_center: 'cc-42', motd: 'say "hi" ${x}' };
    fake.clearRequests();
    await h.requests.create({ tenantCode: code, variables }, 'api:test');
    expect((await h.executeLast()).status).toBe('succeeded');

    const create = requestsBesidesPolls();
    expect(create.length).toBeLessThanOrEqual(6);
    expect(create).toEqual([
      'POST /api/v2/organizations/acme/workspaces',
      'POST /api/v2/runs',
      expect.stringMatching(/^GET \/api\/v2\/workspaces\/ws-\w+\/current-state-version-outputs$/),
    ]);
    const tenant = await h.repository.get(code);
    expect(tenant?.outputs).toEqual({ bucket_name: `${code}-eu-west-1` });
    // Every value reaches Terraform as the exact string sent.
    expect(fake.run(tenant?.runId ?? '')?.variables).toMatchObject(variables);

    fake.clearRequests();
    await h.requests.delete(code, 'api:test');
    expect((await h.executeLast()).status).toBe('succeeded');

    const del = requestsBesidesPolls();
    expect(del.length).toBeLessThanOrEqual(5);
    expect(del).toEqual([
      `GET /api/v2/workspaces/${tenant?.workspaceId ?? ''}`,
      `GET /api/v2/workspaces/${tenant?.workspaceId ?? ''}/tag-bindings`,
      'POST /api/v2/runs',
      `POST /api/v2/workspaces/${tenant?.workspaceId ?? ''}/actions/safe-delete`,
    ]);
    expect((await h.repository.get(code))?.status).toBe('deleted');
    expect(fake.countBy(POLLS)).toBeGreaterThan(0);
  });

  it('an update with unchanged variables writes no variable', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code, variables: { region: 'eu-west-1' } }, 'api:test');
    await h.executeLast();
    fake.clearRequests();

    await h.requests.update(code, {}, 'api:test');
    await h.executeLast();

    expect((await h.repository.get(code))?.status).toBe('ready');
    expect(requestsBesidesPolls().filter((r) => /\/vars|\/varsets/.test(r))).toEqual([]);
  });

  it('every page of outputs is read: 25 outputs all stored', async () => {
    const h = flowHarness(tables, fake);
    const code = newCode('eco-many');
    await h.requests.create({ tenantCode: code }, 'api:test');

    await h.executeLast();

    const tenant = await h.repository.get(code);
    expect(Object.keys(tenant?.outputs ?? {})).toHaveLength(25);
    expect(tenant?.outputs).toMatchObject({ out_0: `${code}-0`, out_24: `${code}-24` });
  });

  it("workspaces live in the environment's project, created when missing", async () => {
    const h = flowHarness(tables, fake);
    const code = newCode();
    await h.requests.create({ tenantCode: code }, 'api:test');
    await h.executeLast();

    const project = fake.projects.find((p) => p.name === `tenant-control-plane-${ENVIRONMENT}`);
    expect(project).toBeDefined();
    expect(fake.workspace(workspaceName(ENVIRONMENT, code))?.projectId).toBe(project?.id);
    expect(fake.projects.filter((p) => p.name === project?.name)).toHaveLength(1);
  });
});

describe('module versions', () => {
  it('a module version is uploaded once for 20 tenants, across processes, and each tenant shows it', async () => {
    const own = await startTfcFake({ ...FAST_TIMINGS, organization: 'acme', token: 'tfc-test-token-123' });
    try {
      const first = flowHarness(tables, own);
      const codes = Array.from({ length: 20 }, () => newCode('mv'));
      await first.requests.create({ tenantCode: codes[0] ?? newCode() }, 'api:test');
      await first.executeLast();
      // Four more processes (each its own client and cache) start the other 19 at once.
      const processes = Array.from({ length: 4 }, () => flowHarness(tables, own));
      await Promise.all(
        codes.slice(1).map(async (code, i) => {
          const h = processes[i % processes.length] ?? first;
          await createIn(h, code);
        }),
      );

      const tenants = await Promise.all(codes.map((code) => first.repository.get(code)));
      expect(tenants.map((t) => t?.status)).toEqual(codes.map(() => 'ready'));
      const versions = new Set(tenants.map((t) => t?.moduleVersion));
      expect(versions.size).toBe(1);
      expect([...versions][0]).toMatch(/^[0-9a-f]{12}$/);
      expect(own.countBy(UPLOADS)).toBe(1);
      expect(own.countBy('PUT /_archivist/*')).toBe(1);
      const registry = own.workspace(moduleVersionsWorkspaceName(ENVIRONMENT));
      expect(registry).toBeDefined();
      const runs = own.runs.filter((r) => r.workspaceName.startsWith(`tenant-${ENVIRONMENT}-mv-`));
      expect(new Set(runs.map((r) => r.configurationVersionId)).size).toBe(1);
      expect(own.runs.filter((r) => r.workspaceName === registry?.name)).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it('processes that start cold at once converge on one module version (a racing upload loses its marker)', async () => {
    const own = await startTfcFake({ ...FAST_TIMINGS, organization: 'acme', token: 'tfc-test-token-123' });
    try {
      const processes = Array.from({ length: 5 }, () => flowHarness(tables, own));
      const codes = Array.from({ length: 10 }, () => newCode('cold'));
      await Promise.all(
        codes.map(async (code, i) => {
          const h = processes[i % processes.length] ?? processes[0];
          if (h === undefined) throw new Error('no process');
          await createIn(h, code);
        }),
      );

      const [reader] = processes;
      if (reader === undefined) throw new Error('no process');
      const tenants = await Promise.all(codes.map((code) => reader.repository.get(code)));
      expect(tenants.map((t) => t?.status)).toEqual(codes.map(() => 'ready'));
      expect(new Set(tenants.map((t) => t?.moduleVersion)).size).toBe(1);
      const runs = own.runs.filter((r) => r.workspaceName.startsWith(`tenant-${ENVIRONMENT}-cold-`));
      expect(runs).toHaveLength(codes.length);
      // Every run references one version, whichever processes uploaded meanwhile (a process whose first
      // attempt failed, e.g. timing out while the upload was processed, uploads again on its retry).
      expect(new Set(runs.map((r) => r.configurationVersionId)).size).toBe(1);
      expect(own.countBy(UPLOADS)).toBeGreaterThanOrEqual(1);
    } finally {
      await own.close();
    }
  });

  it('an archived module version is uploaded again, once', async () => {
    const own = await startTfcFake({ ...FAST_TIMINGS, organization: 'acme', token: 'tfc-test-token-123' });
    try {
      const h = flowHarness(tables, own);
      await h.requests.create({ tenantCode: newCode('arc') }, 'api:test');
      await h.executeLast();
      const [cv] = own.configurationVersions;
      own.archiveConfigurationVersion(cv?.id ?? '');

      const codes = Array.from({ length: 3 }, () => newCode('arc'));
      await Promise.all(
        codes.map(async (code) => {
          await createIn(h, code);
        }),
      );

      const tenants = await Promise.all(codes.map((code) => h.repository.get(code)));
      expect(tenants.map((t) => t?.status)).toEqual(['ready', 'ready', 'ready']);
      expect(own.countBy(UPLOADS)).toBe(2);
    } finally {
      await own.close();
    }
  });
});
