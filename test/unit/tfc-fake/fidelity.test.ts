/**
 * The fake behaves as the documented API does where a kinder fake would hide client defects: limits
 * per user and per endpoint, the organization's run concurrency, runs that wait for a person,
 * processing delays, 404 for what a token may not see, archived configuration versions, projects,
 * variable sets, HCL run variables and strict request validation.
 */
import { FAST_TIMINGS, startTfcFake, type TfcFake, type TfcFakeOptions } from '../../support/tfc-fake/server';
import {
  ManualClock,
  ORG,
  T0,
  TOKEN,
  call,
  createWorkspace,
  data,
  list,
  runBody,
  runStatus,
  uploadConfiguration,
  type Resource,
} from './fake-client';

describe('TFC fake, as documented', () => {
  let fake: TfcFake;
  let clock: ManualClock;
  let rateClock: ManualClock;

  async function start(options: Partial<TfcFakeOptions> = {}): Promise<TfcFake> {
    clock = new ManualClock(T0);
    rateClock = new ManualClock(0);
    fake = await startTfcFake({
      organization: ORG,
      token: TOKEN,
      clock,
      rateLimitClock: rateClock,
      rateLimitPerSecond: Infinity,
      ...FAST_TIMINGS,
      runDurationMs: 1000,
      ...options,
    });
    return fake;
  }

  afterEach(async () => {
    await fake.close();
  });

  /** A workspace with an uploaded configuration and one run on it. */
  async function workspaceWithRun(name: string, extra: Record<string, unknown> = {}) {
    const ws = await createWorkspace(fake, name);
    const cvId = await uploadConfiguration(fake, ws.id);
    const run = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, extra, cvId)));
    return { ws, cvId, run };
  }

  describe('rate limits per user (index.mdx "Rate Limiting")', () => {
    it('counts every token of a user against one 30/s budget and reports it in X-RateLimit-*', async () => {
      await start({
        rateLimitPerSecond: undefined,
        tokens: { 'token-a': 'team-bot', 'token-b': 'team-bot', 'token-c': 'someone-else' },
      });
      const path = `/api/v2/organizations/${ORG}/workspaces`;
      for (let i = 0; i < 30; i += 1) {
        rateClock.advance(10);
        const ok = await call(fake, 'GET', path, undefined, i % 2 === 0 ? 'token-a' : 'token-b');
        expect(ok.status).toBe(200);
        expect(ok.headers['x-ratelimit-limit']).toBe('30');
        expect(ok.headers['x-ratelimit-remaining']).toBe(String(29 - i));
        expect(Number(ok.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      }
      const limited = await call(fake, 'GET', path, undefined, 'token-a');
      expect(limited.status).toBe(429);
      expect(limited.headers).toMatchObject({
        'x-ratelimit-limit': '30',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '0.710',
      });
      expect(limited.doc.errors).toEqual([
        { detail: "You have exceeded the API's rate limit.", status: 429, title: 'Too many requests' },
      ]);
      // Another user has a budget of its own; an unknown token is 401, not a user.
      expect((await call(fake, 'GET', path, undefined, 'token-c')).status).toBe(200);
      expect((await call(fake, 'GET', path, undefined, 'nobody')).status).toBe(401);

      expect(fake.requests.filter((r) => r.user === 'team-bot')).toHaveLength(31);
      expect(fake.countBy(`GET ${path}`, 'team-bot')).toBe(31);
      expect(fake.countBy(`GET ${path}`, 'someone-else')).toBe(1);
      expect(fake.peakRequestsPerSecond('team-bot')).toBe(31);
      expect(fake.peakRequestsPerSecond('someone-else')).toBe(1);
      expect(fake.requestsPerSecond('team-bot')).toEqual([31]);
      rateClock.advance(710);
      expect((await call(fake, 'GET', path, undefined, 'token-b')).status).toBe(200);
    });

    it('limits the runs list to 30 requests per minute per user, on top of the per-second limit', async () => {
      await start({ rateLimitPerSecond: undefined });
      const ws = await createWorkspace(fake, 'tenant-runs');
      const runs = `/api/v2/workspaces/${ws.id}/runs`;
      for (let i = 0; i < 30; i += 1) {
        rateClock.advance(1000);
        const ok = await call(fake, 'GET', runs);
        expect(ok.status).toBe(200);
        expect(ok.headers['x-ratelimit-remaining']).toBe(String(29 - i));
      }
      rateClock.advance(1000);
      const limited = await call(fake, 'GET', runs);
      expect(limited.status).toBe(429);
      expect(limited.headers['x-ratelimit-limit']).toBe('30');
      // The oldest of the 30 leaves the minute window 30 s later.
      expect(limited.headers['x-ratelimit-reset']).toBe('30.000');
      // Other endpoints are still open.
      expect((await call(fake, 'GET', `/api/v2/workspaces/${ws.id}`)).status).toBe(200);
      rateClock.advance(30_000);
      expect((await call(fake, 'GET', runs)).status).toBe(200);
    });

    it('defaults to the documented limits', async () => {
      await start({ rateLimitPerSecond: undefined });
      const ping = await call(fake, 'GET', '/api/v2/ping', undefined, null);
      expect(ping.headers['x-ratelimit-limit']).toBe('30');
      expect(fake.maxConcurrentRuns).toBe(10);
    });
  });

  describe('organization run concurrency (runs beyond the cap wait in pending)', () => {
    it('executes at most the plan cap at once, and one run per workspace', async () => {
      await start({ plan: 'essentials' });
      expect(fake.maxConcurrentRuns).toBe(3);
      const runs: Resource[] = [];
      for (let i = 0; i < 5; i += 1) runs.push((await workspaceWithRun(`tenant-${i}`)).run);
      const { ws } = await workspaceWithRun('tenant-5');
      const queued = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { message: 'second' })));
      const statuses = async () => Promise.all(runs.map((run) => runStatus(fake, run.id)));

      expect(await statuses()).toEqual(['planning', 'planning', 'planning', 'pending', 'pending']);
      expect(fake.runsExecutingAt()).toBe(3);
      clock.advance(1000);
      expect(await statuses()).toEqual(['applied', 'applied', 'applied', 'planning', 'planning']);
      // tenant-5's first run takes the third slot; its second waits for it, not for a slot.
      expect(await runStatus(fake, queued.id)).toBe('pending');
      clock.advance(1000);
      expect(await runStatus(fake, queued.id)).toBe('planning');
      expect(fake.run(queued.id)?.startedAt).toBe(T0 + 2000);
      clock.advance(10_000);
      expect(await statuses()).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
      expect(fake.peakExecutingRuns).toBe(3);
    });

    it('frees a slot when a run is canceled', async () => {
      await start({ maxConcurrentRuns: 1 });
      const first = (await workspaceWithRun('tenant-a')).run;
      const second = (await workspaceWithRun('tenant-b')).run;
      clock.advance(100);
      expect(await runStatus(fake, second.id)).toBe('pending');
      expect((await call(fake, 'POST', `/api/v2/runs/${first.id}/actions/cancel`)).status).toBe(202);
      expect(await runStatus(fake, second.id)).toBe('planning');
      expect(fake.peakExecutingRuns).toBe(1);
    });
  });

  describe('runs that need a person (run.mdx "Run States")', () => {
    it.each([
      ['policy_override', false],
      ['post_plan_awaiting_decision', false],
      ['planned', true],
      ['cost_estimated', true],
      ['policy_checked', true],
    ] as const)(
      '%s never finishes by itself, holds the queue, and is discarded',
      async (halt, confirmable) => {
        await start({ runOutcome: (ws) => (ws.name === 'tenant-stuck' ? halt : undefined) });
        const { ws, run } = await workspaceWithRun('tenant-stuck');
        const next = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { message: 'retry' })));
        clock.advance(3_600_000);
        const stuck = data(await call(fake, 'GET', `/api/v2/runs/${run.id}`));
        expect(stuck.attributes.status).toBe(halt);
        expect(stuck.attributes.actions).toEqual({
          'is-cancelable': false,
          'is-confirmable': confirmable,
          'is-discardable': true,
          'is-force-cancelable': false,
        });
        expect(await runStatus(fake, next.id)).toBe('pending');
        expect(fake.runsExecutingAt()).toBe(0);
        const safeDelete = await call(fake, 'POST', `/api/v2/workspaces/${ws.id}/actions/safe-delete`);
        expect(safeDelete.doc.errors?.[0]?.detail).toMatch(/currently locked/);
        expect((await call(fake, 'POST', `/api/v2/runs/${run.id}/actions/cancel`)).status).toBe(409);

        expect((await call(fake, 'POST', `/api/v2/runs/${run.id}/actions/discard`)).status).toBe(202);
        expect(await runStatus(fake, run.id)).toBe('discarded');
        expect((await call(fake, 'POST', `/api/v2/runs/${run.id}/actions/discard`)).status).toBe(409);
        expect(await runStatus(fake, next.id)).toBe('planning');
      },
    );

    it('applies a confirmable run on the apply action, refuses it for a policy override', async () => {
      await start({
        runOutcome: (ws) => (ws.name.endsWith('override') ? 'policy_override' : 'cost_estimated'),
      });
      const confirmable = (await workspaceWithRun('tenant-estimate')).run;
      const override = (await workspaceWithRun('tenant-override')).run;
      clock.advance(500);
      const applyOverride = await call(fake, 'POST', `/api/v2/runs/${override.id}/actions/apply`);
      expect(applyOverride.status).toBe(409);
      expect(applyOverride.doc.errors?.[0]).toMatchObject({ status: '409', title: 'conflict' });
      expect((await call(fake, 'POST', `/api/v2/runs/${confirmable.id}/actions/apply`)).status).toBe(202);
      expect(await runStatus(fake, confirmable.id)).toBe('applying');
      clock.advance(500);
      expect(await runStatus(fake, confirmable.id)).toBe('applied');
    });

    it('answers 409 to discard and cancel outside their documented states', async () => {
      await start();
      const { run } = await workspaceWithRun('tenant-done');
      expect((await call(fake, 'POST', `/api/v2/runs/${run.id}/actions/discard`)).status).toBe(409);
      clock.advance(1000);
      expect((await call(fake, 'POST', `/api/v2/runs/${run.id}/actions/cancel`)).status).toBe(409);
      expect((await call(fake, 'POST', '/api/v2/runs/run-doesnotexist0000/actions/discard')).status).toBe(
        404,
      );
    });
  });

  describe('state processing and outputs (state-version-outputs.mdx)', () => {
    const outputs = () =>
      Array.from({ length: 25 }, (_, i) => ({ name: `out_${String(i).padStart(2, '0')}`, value: i }));

    it('answers 503 while the state is processed, then pages the outputs', async () => {
      await start({ outputs, outputsProcessingMs: 2000 });
      const { ws } = await workspaceWithRun('tenant-outputs');
      clock.advance(1000);
      const path = `/api/v2/workspaces/${ws.id}/current-state-version-outputs`;
      const busy = await call(fake, 'GET', path);
      expect(busy.status).toBe(503);
      expect(busy.doc.errors?.[0]?.status).toBe('503');
      clock.advance(2000);
      const first = await call(fake, 'GET', path);
      expect(list(first)).toHaveLength(20);
      expect(first.doc.meta?.pagination).toMatchObject({
        'current-page': 1,
        'next-page': 2,
        'total-pages': 2,
        'total-count': 25,
      });
      expect(first.doc.links?.next).toContain('page%5Bnumber%5D=2');
      const second = await call(fake, 'GET', `${path}?page%5Bnumber%5D=2`);
      expect(list(second).map((o) => o.attributes.name)).toEqual([
        'out_20',
        'out_21',
        'out_22',
        'out_23',
        'out_24',
      ]);
      expect(second.doc.meta?.pagination['next-page']).toBeNull();
      const small = await call(fake, 'GET', `${path}?page%5Bsize%5D=10&page%5Bnumber%5D=3`);
      expect(list(small)).toHaveLength(5);
    });
  });

  describe('safe delete (workspaces.mdx; the texts are go-tfe errors.go)', () => {
    it('tells locked, state still processing and still managing resources apart', async () => {
      await start({ outputsProcessingMs: 2000 });
      const { ws } = await workspaceWithRun('tenant-delete');
      const safeDelete = `/api/v2/workspaces/${ws.id}/actions/safe-delete`;
      const detail = async () => (await call(fake, 'POST', safeDelete)).doc.errors?.[0]?.detail;

      expect(await detail()).toBe(
        'Workspace is currently locked. Workspace must be unlocked before it can be safely deleted',
      );
      clock.advance(1000);
      expect(await detail()).toBe(
        'Latest workspace state is being processed to discover resources, please try again later',
      );
      clock.advance(2000);
      expect(await detail()).toBe(
        'workspace cannot be safely deleted because it is still managing resources',
      );
      await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { 'is-destroy': true }));
      clock.advance(1000);
      // The destroy's state is processed for a while too.
      expect(await detail()).toMatch(/being processed/);
      clock.advance(2000);
      expect((await call(fake, 'POST', safeDelete)).status).toBe(204);
    });
  });

  describe('404 for what a token may not see (index.mdx "Response Codes")', () => {
    it('hides a workspace, its runs and versions from one token only', async () => {
      await start({ tokens: { 'other-token': 'other-user' } });
      const { ws, run, cvId } = await workspaceWithRun('tenant-hidden');
      clock.advance(1000);
      fake.hideWorkspace('tenant-hidden', TOKEN);
      for (const path of [
        `/api/v2/workspaces/${ws.id}`,
        `/api/v2/organizations/${ORG}/workspaces/tenant-hidden`,
        `/api/v2/runs/${run.id}`,
        `/api/v2/configuration-versions/${cvId}`,
        `/api/v2/workspaces/${ws.id}/current-state-version-outputs`,
      ]) {
        expect((await call(fake, 'GET', path)).status).toBe(404);
        expect((await call(fake, 'GET', path, undefined, 'other-token')).status).not.toBe(404);
      }
      expect((await call(fake, 'POST', `/api/v2/workspaces/${ws.id}/actions/safe-delete`)).status).toBe(404);
      expect(list(await call(fake, 'GET', `/api/v2/organizations/${ORG}/workspaces`))).toHaveLength(0);
      // The name is still taken.
      const again = await call(fake, 'POST', `/api/v2/organizations/${ORG}/workspaces`, {
        data: { type: 'workspaces', attributes: { name: 'tenant-hidden' } },
      });
      expect(again.status).toBe(422);
      expect(fake.workspace('tenant-hidden')).toBeDefined();
    });
  });

  describe('configuration versions (run.mdx, configuration-versions.mdx)', () => {
    it('runs a workspace on a version uploaded to another workspace', async () => {
      await start({ outputs: (name, vars) => [{ name: 'where', value: `${name}:${vars.size ?? ''}` }] });
      const modules = await createWorkspace(fake, 'control-plane-modules');
      const cvId = await uploadConfiguration(fake, modules.id);
      const tenant = await createWorkspace(fake, 'tenant-shared');
      const run = data(await call(fake, 'POST', '/api/v2/runs', runBody(tenant.id, {}, cvId)));
      clock.advance(1000);
      expect(fake.run(run.id)).toMatchObject({ status: 'applied', configurationVersionId: cvId });
      expect(fake.workspace('tenant-shared')?.outputs[0]?.value).toBe('tenant-shared:');
      expect(fake.runs.filter((r) => r.workspaceName === 'control-plane-modules')).toHaveLength(0);
    });

    it('archives an uploaded version (202, 409 otherwise) and refuses runs on it', async () => {
      await start();
      const ws = await createWorkspace(fake, 'tenant-archive');
      const cvId = await uploadConfiguration(fake, ws.id);
      const inUse = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId)));
      const archive = `/api/v2/configuration-versions/${cvId}/actions/archive`;
      expect((await call(fake, 'POST', archive)).status).toBe(409);
      clock.advance(1000);
      expect(await runStatus(fake, inUse.id)).toBe('applied');
      expect((await call(fake, 'POST', archive)).status).toBe(202);
      expect(data(await call(fake, 'GET', `/api/v2/configuration-versions/${cvId}`)).attributes.status).toBe(
        'archived',
      );
      expect((await call(fake, 'POST', archive)).status).toBe(409);
      const refused = await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId));
      expect(refused.status).toBe(422);
      expect(refused.doc.errors?.[0]?.detail).toMatch(/archived/);

      const other = await uploadConfiguration(fake, ws.id, 'module-v2');
      fake.archiveConfigurationVersion(other);
      expect(fake.configurationVersions.find((cv) => cv.id === other)?.status).toBe('archived');
      // Without an explicit version a run takes the latest uploaded one: there is none left.
      expect((await call(fake, 'POST', '/api/v2/runs', runBody(ws.id))).status).toBe(422);
    });

    it('keeps a new version pending while it is processed (1.5 s by default)', async () => {
      await start({ uploadProcessingMs: undefined });
      const ws = await createWorkspace(fake, 'tenant-upload');
      const cvId = await uploadConfiguration(fake, ws.id);
      const show = async () =>
        data(await call(fake, 'GET', `/api/v2/configuration-versions/${cvId}`)).attributes.status;
      expect(await show()).toBe('pending');
      expect((await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId))).status).toBe(422);
      clock.advance(1500);
      expect(await show()).toBe('uploaded');
    });
  });

  describe('projects (projects.mdx)', () => {
    it('creates, finds and assigns projects; every organization has a Default Project', async () => {
      await start();
      const projects = `/api/v2/organizations/${ORG}/projects`;
      expect(list(await call(fake, 'GET', projects)).map((p) => p.attributes.name)).toEqual([
        'Default Project',
      ]);
      const created = await call(fake, 'POST', projects, {
        data: { type: 'projects', attributes: { name: 'tenants-prod' } },
      });
      expect(created.status).toBe(201);
      const project = data(created);
      expect(project.id).toMatch(/^prj-/);
      const duplicate = await call(fake, 'POST', projects, {
        data: { type: 'projects', attributes: { name: 'TENANTS-PROD' } },
      });
      expect(duplicate.status).toBe(422);
      const invalid = await call(fake, 'POST', projects, {
        data: { type: 'projects', attributes: { name: ' x' } },
      });
      expect(invalid.status).toBe(422);

      const byName = list(await call(fake, 'GET', `${projects}?filter%5Bnames%5D=Tenants-Prod`));
      expect(byName.map((p) => p.id)).toEqual([project.id]);
      expect(list(await call(fake, 'GET', `${projects}?q=prod`)).map((p) => p.id)).toEqual([project.id]);

      const ws = await createWorkspace(fake, 'tenant-in-project', {});
      expect(ws.relationships?.project?.data).toMatchObject({ type: 'projects' });
      const placed = data(
        await call(fake, 'POST', `/api/v2/organizations/${ORG}/workspaces`, {
          data: {
            type: 'workspaces',
            attributes: { name: 'tenant-placed' },
            relationships: { project: { data: { type: 'projects', id: project.id } } },
          },
        }),
      );
      expect(placed.relationships?.project?.data).toEqual({ type: 'projects', id: project.id });
      const inProject = list(
        await call(
          fake,
          'GET',
          `/api/v2/organizations/${ORG}/workspaces?filter%5Bproject%5D%5Bid%5D=${project.id}`,
        ),
      );
      expect(inProject.map((w) => w.attributes.name)).toEqual(['tenant-placed']);
      expect((await call(fake, 'DELETE', `/api/v2/projects/${project.id}`)).status).toBe(409);
      expect(fake.projects.find((p) => p.id === project.id)?.workspaceIds).toEqual([placed.id]);
    });
  });

  describe('variables that reach a run', () => {
    it('creates a variable set with its variables and workspaces in one request', async () => {
      await start({
        outputs: (_name, vars) => Object.entries(vars).map(([name, value]) => ({ name, value })),
      });
      const ws = await createWorkspace(fake, 'tenant-varset');
      const created = await call(fake, 'POST', `/api/v2/organizations/${ORG}/varsets`, {
        data: {
          type: 'varsets',
          attributes: { name: 'tenant-varset-inputs', global: false },
          relationships: {
            workspaces: { data: [{ type: 'workspaces', id: ws.id }] },
            vars: {
              data: [
                { type: 'vars', attributes: { key: 'plan', value: 'gold', category: 'terraform' } },
                { type: 'vars', attributes: { key: 'region', value: 'eu', category: 'terraform' } },
              ],
            },
          },
        },
      });
      expect(created.status).toBe(200);
      expect(data(created).attributes).toMatchObject({ name: 'tenant-varset-inputs', 'var-count': 2 });
      await call(fake, 'POST', `/api/v2/workspaces/${ws.id}/vars`, {
        data: { type: 'vars', attributes: { key: 'region', value: 'us', category: 'terraform' } },
      });
      const cvId = await uploadConfiguration(fake, ws.id);
      const run = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId)));
      // Workspace variables win over the set's.
      expect(fake.run(run.id)?.variables).toEqual({ plan: 'gold', region: 'us' });
      expect(list(await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/varsets`))).toHaveLength(1);
      expect(fake.variableSets[0]?.workspaceIds).toEqual([ws.id]);
    });

    it('decodes run-specific variables as HCL literals and fails the plan on anything else', async () => {
      await start();
      const ws = await createWorkspace(fake, 'tenant-hcl');
      const cvId = await uploadConfiguration(fake, ws.id);
      const literal = data(
        await call(
          fake,
          'POST',
          '/api/v2/runs',
          runBody(
            ws.id,
            {
              variables: [
                { key: 'motto', value: '"say \\"hi\\" \\\\ $${not} %%{a}"' },
                { key: 'replicas', value: '2' },
              ],
            },
            cvId,
          ),
        ),
      );
      expect(data(await call(fake, 'GET', `/api/v2/runs/${literal.id}`)).attributes.variables).toEqual([
        { key: 'motto', value: '"say \\"hi\\" \\\\ $${not} %%{a}"' },
        { key: 'replicas', value: '2' },
      ]);
      expect(fake.run(literal.id)?.variables).toEqual({ motto: 'say "hi" \\ ${not} %{a}', replicas: '2' });
      clock.advance(1000);
      expect(await runStatus(fake, literal.id)).toBe('applied');

      for (const value of ['plain-words', '"${var.x}"', '"%{ if true }x%{ endif }"']) {
        const bad = data(
          await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { variables: [{ key: 'v', value }] })),
        );
        clock.advance(1000);
        expect(fake.run(bad.id)).toMatchObject({ status: 'errored' });
        expect(fake.run(bad.id)?.errorMessage).toMatch(/Variables not allowed/);
      }
    });
  });

  describe('request validation', () => {
    it('rejects a document without data.type (422) or of another type (409), changing nothing', async () => {
      await start();
      const path = `/api/v2/organizations/${ORG}/workspaces`;
      const untyped = await call(fake, 'POST', path, { data: { attributes: { name: 'tenant-x' } } });
      expect(untyped.status).toBe(422);
      expect(untyped.doc.errors?.[0]?.source).toEqual({ pointer: '/data/type' });
      const wrong = await call(fake, 'POST', path, {
        data: { type: 'vars', attributes: { name: 'tenant-x' } },
      });
      expect(wrong.status).toBe(409);
      expect((await call(fake, 'POST', path, '{not json')).status).toBe(400);
      expect(fake.workspaces).toHaveLength(0);
      const ws = await createWorkspace(fake, 'tenant-valid');
      const cvId = await uploadConfiguration(fake, ws.id);
      expect(
        (await call(fake, 'POST', '/api/v2/runs', { data: { relationships: runBody(ws.id, {}, cvId) } }))
          .status,
      ).toBe(422);
      expect(
        (await call(fake, 'POST', `/api/v2/workspaces/${ws.id}/vars`, { data: { attributes: { key: 'k' } } }))
          .status,
      ).toBe(422);
      expect(fake.runs).toHaveLength(0);
    });

    it('answers 404 for unknown paths and 405 with Allow for a known path and another method', async () => {
      await start();
      expect((await call(fake, 'GET', '/api/v2/nothing-here')).status).toBe(404);
      const ws = await createWorkspace(fake, 'tenant-verbs');
      const wrongVerb = await call(fake, 'PUT', `/api/v2/workspaces/${ws.id}/actions/safe-delete`);
      expect(wrongVerb.status).toBe(405);
      expect(wrongVerb.headers.allow).toBe('POST');
      expect(wrongVerb.doc.errors?.[0]?.status).toBe('405');
      expect((await call(fake, 'DELETE', '/api/v2/runs/run-x')).status).toBe(405);
    });
  });

  describe('realistic timings by default', () => {
    it('plans and applies over 20 s and processes the state for 3 s', async () => {
      clock = new ManualClock(T0);
      fake = await startTfcFake({
        organization: ORG,
        token: TOKEN,
        clock,
        outputs: () => [{ name: 'x', value: 1 }],
      });
      const ws = await createWorkspace(fake, 'tenant-slow');
      const cvId = await uploadConfiguration(fake, ws.id);
      clock.advance(1500);
      const run = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId)));
      clock.advance(9_999);
      expect(await runStatus(fake, run.id)).toBe('planning');
      clock.advance(10_001);
      expect(await runStatus(fake, run.id)).toBe('applied');
      const path = `/api/v2/workspaces/${ws.id}/current-state-version-outputs`;
      expect((await call(fake, 'GET', path)).status).toBe(503);
      clock.advance(3000);
      expect((await call(fake, 'GET', path)).status).toBe(200);
    });
  });
});
