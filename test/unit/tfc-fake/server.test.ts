import type { TfcFake, TfcFakeOptions } from '../../support/tfc-fake/server';
import {
  ORG,
  T0,
  ManualClock,
  type Resource,
  call,
  data,
  list,
  runBody,
  startManualFake,
  varBody,
  workspaceBody,
} from './fake-client';

describe('TFC fake', () => {
  let fake: TfcFake;
  let clock: ManualClock;

  async function start(options: Partial<TfcFakeOptions> = {}): Promise<TfcFake> {
    ({ fake, clock } = await startManualFake(options));
    return fake;
  }

  afterEach(async () => {
    await fake.close();
  });

  async function createWorkspace(name = 'tenant-acme'): Promise<Resource> {
    return data(await call(fake, 'POST', `/api/v2/organizations/${ORG}/workspaces`, workspaceBody(name)));
  }

  /** Creates a configuration version (auto-queue off, as the control plane does) and uploads it. */
  async function uploadConfiguration(workspaceId: string, tarball = 'module-v1'): Promise<string> {
    const created = await call(fake, 'POST', `/api/v2/workspaces/${workspaceId}/configuration-versions`, {
      data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
    });
    const cv = data(created);
    const put = await call(fake, 'PUT', String(cv.attributes['upload-url']), tarball, null);
    expect(put.status).toBe(200);
    return cv.id;
  }

  async function runStatus(runId: string): Promise<unknown> {
    return data(await call(fake, 'GET', `/api/v2/runs/${runId}`)).attributes.status;
  }

  describe('authentication and organizations', () => {
    beforeEach(async () => {
      await start();
    });

    it('answers 401 with a JSON:API error without a token or with a wrong one', async () => {
      for (const token of [null, 'wrong-token']) {
        const answer = await call(fake, 'GET', `/api/v2/organizations/${ORG}/workspaces`, undefined, token);
        expect(answer.status).toBe(401);
        expect(answer.headers['content-type']).toBe('application/vnd.api+json');
        expect(answer.doc.errors).toEqual([{ status: '401', title: 'unauthorized' }]);
      }
    });

    it('answers 404 (not 403) for another organization and for unknown resources', async () => {
      const other = await call(
        fake,
        'POST',
        '/api/v2/organizations/someone-else/workspaces',
        workspaceBody('x'),
      );
      expect(other.status).toBe(404);
      expect(other.doc.errors).toEqual([{ status: '404', title: 'not found' }]);
      expect((await call(fake, 'GET', '/api/v2/workspaces/ws-doesnotexist1234')).status).toBe(404);
      expect(fake.workspaces).toHaveLength(0);
    });
  });

  describe('workspaces', () => {
    beforeEach(async () => {
      await start();
    });

    it('creates a workspace with key/value tag bindings and reads it by name and by id', async () => {
      const created = await call(fake, 'POST', `/api/v2/organizations/${ORG}/workspaces`, {
        data: {
          type: 'workspaces',
          attributes: { name: 'tenant-acme', 'auto-apply': true, 'tag-names': ['flat'] },
          relationships: {
            'tag-bindings': {
              data: [{ type: 'tag-bindings', attributes: { key: 'managed-by', value: 'tcp' } }],
            },
          },
        },
      });
      expect(created.status).toBe(201);
      const ws = data(created);
      expect(ws.id).toMatch(/^ws-[A-Za-z0-9]{16}$/);
      expect(ws.type).toBe('workspaces');
      expect(ws.attributes).toMatchObject({ name: 'tenant-acme', 'auto-apply': true, 'resource-count': 0 });
      expect(ws.attributes['tag-names']).toEqual(['flat']);
      expect(ws.links).toEqual({ self: `/api/v2/organizations/${ORG}/workspaces/tenant-acme` });
      expect(ws.relationships?.['current-configuration-version']).toEqual({ data: null });

      const byName = data(await call(fake, 'GET', `/api/v2/organizations/${ORG}/workspaces/tenant-acme`));
      const byId = data(await call(fake, 'GET', `/api/v2/workspaces/${ws.id}`));
      expect(byName.id).toBe(ws.id);
      expect(byId.attributes.name).toBe('tenant-acme');
      const bindings = list(await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/tag-bindings`));
      expect(bindings.map((b) => b.attributes)).toEqual([
        expect.objectContaining({ key: 'managed-by', value: 'tcp' }),
      ]);
    });

    it('answers 422 "Name has already been taken" for a duplicate name', async () => {
      await createWorkspace('tenant-acme');
      const duplicate = await call(
        fake,
        'POST',
        `/api/v2/organizations/${ORG}/workspaces`,
        workspaceBody('tenant-acme'),
      );
      expect(duplicate.status).toBe(422);
      expect(duplicate.doc).toEqual({
        errors: [
          {
            status: '422',
            title: 'invalid attribute',
            detail: 'Name has already been taken',
            source: { pointer: '/data/attributes/name' },
          },
        ],
      });
      expect(fake.workspaces).toHaveLength(1);
    });

    it('adds tag bindings with PATCH and lists workspaces with pagination metadata', async () => {
      const ws = await createWorkspace();
      await call(fake, 'PATCH', `/api/v2/workspaces/${ws.id}/tag-bindings`, {
        data: [{ type: 'tag-bindings', attributes: { key: 'tenant', value: 'acme' } }],
      });
      expect(fake.workspace('tenant-acme')?.tagBindings).toEqual([{ key: 'tenant', value: 'acme' }]);
      const listed = await call(fake, 'GET', `/api/v2/organizations/${ORG}/workspaces?search%5Bname%5D=acme`);
      expect(list(listed).map((w) => w.id)).toEqual([ws.id]);
      expect(listed.doc.meta?.pagination).toMatchObject({
        'current-page': 1,
        'total-count': 1,
        'next-page': null,
      });
    });
  });

  describe('variables', () => {
    beforeEach(async () => {
      await start();
    });

    it('creates, lists, updates and deletes variables; sensitive values come back null', async () => {
      const ws = await createWorkspace();
      const vars = `/api/v2/workspaces/${ws.id}/vars`;
      const plain = await call(fake, 'POST', vars, varBody('region', 'eu-west-1'));
      expect(plain.status).toBe(201);
      expect(data(plain).attributes).toMatchObject({
        key: 'region',
        value: 'eu-west-1',
        category: 'terraform',
      });
      const secret = await call(fake, 'POST', vars, varBody('db_password', 'hunter2', { sensitive: true }));
      expect(data(secret).attributes).toMatchObject({ key: 'db_password', value: null, sensitive: true });
      expect(data(secret).links).toEqual({ self: `${vars}/${data(secret).id}` });

      const listed = list(await call(fake, 'GET', vars));
      expect(listed.map((v) => [v.attributes.key, v.attributes.value])).toEqual([
        ['region', 'eu-west-1'],
        ['db_password', null],
      ]);
      expect(fake.workspace('tenant-acme')?.variables.find((v) => v.key === 'db_password')?.value).toBe(
        'hunter2',
      );

      const patched = await call(fake, 'PATCH', `${vars}/${data(plain).id}`, {
        data: { type: 'vars', id: data(plain).id, attributes: { value: 'us-east-1' } },
      });
      expect(patched.status).toBe(200);
      expect(data(patched).attributes).toMatchObject({ key: 'region', value: 'us-east-1', hcl: false });

      expect((await call(fake, 'DELETE', `${vars}/${data(plain).id}`)).status).toBe(204);
      expect((await call(fake, 'DELETE', `${vars}/${data(plain).id}`)).status).toBe(404);
      expect(list(await call(fake, 'GET', vars)).map((v) => v.attributes.key)).toEqual(['db_password']);
    });

    it('answers 422 for a duplicate key in the same category only', async () => {
      const ws = await createWorkspace();
      const vars = `/api/v2/workspaces/${ws.id}/vars`;
      await call(fake, 'POST', vars, varBody('region', 'a'));
      const duplicate = await call(fake, 'POST', vars, varBody('region', 'b'));
      expect(duplicate.status).toBe(422);
      expect(duplicate.doc.errors?.[0]).toMatchObject({
        status: '422',
        detail: 'Key has already been taken',
      });
      expect((await call(fake, 'POST', vars, varBody('region', 'c', { category: 'env' }))).status).toBe(201);
      const invalid = await call(fake, 'POST', vars, varBody('x', 'y', { category: 'nope' }));
      expect(invalid.status).toBe(422);
    });
  });

  describe('configuration versions', () => {
    it('hands out a one-time upload URL on this server and moves to uploaded after the PUT', async () => {
      await start({ uploadProcessingMs: 500 });
      const ws = await createWorkspace();
      const created = await call(fake, 'POST', `/api/v2/workspaces/${ws.id}/configuration-versions`, {
        data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
      });
      expect(created.status).toBe(201);
      const cv = data(created);
      expect(cv.attributes).toMatchObject({
        status: 'pending',
        'auto-queue-runs': false,
        speculative: false,
      });
      const uploadUrl = String(cv.attributes['upload-url']);
      expect(uploadUrl.startsWith(`${fake.url}/_archivist/v1/object/`)).toBe(true);

      const first = await call(fake, 'PUT', uploadUrl, 'tarball-bytes', null);
      expect(first.status).toBe(200);
      const second = await call(fake, 'PUT', uploadUrl, 'other-bytes', null);
      expect(second.status).toBe(404);

      const shown = data(await call(fake, 'GET', `/api/v2/configuration-versions/${cv.id}`));
      expect(shown.attributes.status).toBe('pending');
      expect(shown.attributes['upload-url']).toBeUndefined();
      clock.advance(500);
      expect(data(await call(fake, 'GET', `/api/v2/configuration-versions/${cv.id}`)).attributes.status).toBe(
        'uploaded',
      );
      expect(fake.configurationVersions[0]?.upload?.toString()).toBe('tarball-bytes');
      const listed = list(await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/configuration-versions`));
      expect(listed.map((v) => v.id)).toEqual([cv.id]);
      expect(fake.runs).toHaveLength(0);
    });

    it('queues a run on upload when auto-queue-runs is left at its default (true)', async () => {
      await start();
      const ws = await createWorkspace();
      const cv = data(await call(fake, 'POST', `/api/v2/workspaces/${ws.id}/configuration-versions`));
      await call(fake, 'PUT', String(cv.attributes['upload-url']), 'module', null);
      expect(fake.runs).toEqual([
        expect.objectContaining({ configurationVersionId: cv.id, source: 'tfe-configuration-version' }),
      ]);
    });

    it('reports an upload that fails processing as errored, and refuses runs on it', async () => {
      await start({
        uploadOutcome: (upload) =>
          upload.toString() === 'broken' ? { status: 'errored', message: 'unreadable tarball' } : 'uploaded',
      });
      const ws = await createWorkspace();
      const cvId = await uploadConfiguration(ws.id, 'broken');
      const shown = data(await call(fake, 'GET', `/api/v2/configuration-versions/${cvId}`));
      expect(shown.attributes).toMatchObject({ status: 'errored', 'error-message': 'unreadable tarball' });
      const refused = await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId));
      expect(refused.status).toBe(422);
      expect((await call(fake, 'POST', '/api/v2/runs', runBody(ws.id))).doc.errors?.[0]?.detail).toBe(
        'Configuration version is missing',
      );
    });
  });

  describe('runs', () => {
    const outputs: TfcFakeOptions['outputs'] = (workspaceName, variables) => [
      { name: 'bucket', value: `${workspaceName}-${variables.region ?? 'none'}` },
      { name: 'admin_password', value: 'sup3r-secret', sensitive: true },
      { name: 'zones', value: ['a', 'b'] },
    ];

    it('answers 422 "Configuration version is missing" when nothing was ever uploaded', async () => {
      await start();
      const ws = await createWorkspace();
      const answer = await call(fake, 'POST', '/api/v2/runs', runBody(ws.id));
      expect(answer.status).toBe(422);
      expect(answer.doc.errors).toEqual([
        { status: '422', title: 'unprocessable entity', detail: 'Configuration version is missing' },
      ]);
    });

    it('progresses pending → planning → applying → applied and publishes outputs (sensitive as null)', async () => {
      await start({ outputs });
      const ws = await createWorkspace();
      await call(fake, 'POST', `/api/v2/workspaces/${ws.id}/vars`, varBody('region', 'eu-west-1'));
      const cvId = await uploadConfiguration(ws.id);
      const created = await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { 'auto-apply': true }, cvId));
      expect(created.status).toBe(201);
      const run = data(created);
      expect(run.id).toMatch(/^run-/);
      expect(run.attributes).toMatchObject({
        status: 'pending',
        'is-destroy': false,
        message: 'tenant flow',
      });
      expect(run.relationships?.workspace?.data).toEqual({ id: ws.id, type: 'workspaces' });

      expect(await runStatus(run.id)).toBe('planning');
      expect(data(await call(fake, 'GET', `/api/v2/workspaces/${ws.id}`)).attributes.locked).toBe(true);
      clock.advance(500);
      expect(await runStatus(run.id)).toBe('applying');
      clock.advance(500);
      const done = data(await call(fake, 'GET', `/api/v2/runs/${run.id}`));
      expect(done.attributes).toMatchObject({ status: 'applied', 'has-changes': true });
      expect(Object.keys(done.attributes['status-timestamps'] as object)).toEqual([
        'plan-queueable-at',
        'planning-at',
        'applying-at',
        'applied-at',
      ]);

      const current = list(
        await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/current-state-version-outputs`),
      );
      expect(
        current.map((o) => [o.type, o.attributes.name, o.attributes.sensitive, o.attributes.value]),
      ).toEqual([
        ['state-version-outputs', 'bucket', false, 'tenant-acme-eu-west-1'],
        ['state-version-outputs', 'admin_password', true, null],
        ['state-version-outputs', 'zones', false, ['a', 'b']],
      ]);
      expect(current[2]?.attributes['detailed-type']).toEqual(['tuple', ['string', 'string']]);
      const revealed = data(await call(fake, 'GET', `/api/v2/state-version-outputs/${current[1]?.id ?? ''}`));
      expect(revealed.attributes.value).toBe('sup3r-secret');

      const workspace = data(await call(fake, 'GET', `/api/v2/workspaces/${ws.id}`));
      expect(workspace.attributes).toMatchObject({ 'resource-count': 1, locked: false });
      expect(fake.run(run.id)).toMatchObject({ status: 'applied', variables: { region: 'eu-west-1' } });
      const listed = list(
        await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/runs?search%5Bbasic%5D=tenant%20flow`),
      );
      expect(listed.map((r) => r.id)).toEqual([run.id]);
    });

    it('ends errored with the message in the plan log and the run view', async () => {
      await start({ runOutcome: () => ({ status: 'errored', message: 'Invalid provider configuration' }) });
      const ws = await createWorkspace();
      const cvId = await uploadConfiguration(ws.id);
      const run = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId)));
      clock.advance(1000);
      expect(await runStatus(run.id)).toBe('errored');
      const plan = data(await call(fake, 'GET', `/api/v2/runs/${run.id}/plan`));
      expect(plan.attributes.status).toBe('errored');
      const log = await call(fake, 'GET', String(plan.attributes['log-read-url']), undefined, null);
      expect(log.text).toContain('Error: Invalid provider configuration');
      expect(fake.run(run.id)?.errorMessage).toBe('Invalid provider configuration');
      expect(
        (await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/current-state-version-outputs`)).status,
      ).toBe(404);
    });

    it('ends planned_and_finished when configuration and variables did not change', async () => {
      await start();
      const ws = await createWorkspace();
      const cvId = await uploadConfiguration(ws.id);
      const first = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId)));
      const second = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id)));
      expect(await runStatus(second.id)).toBe('pending');
      clock.advance(1000);
      expect(await runStatus(first.id)).toBe('applied');
      expect(await runStatus(second.id)).toBe('planning');
      clock.advance(1000);
      const after = data(await call(fake, 'GET', `/api/v2/runs/${second.id}`));
      expect(after.attributes).toMatchObject({ status: 'planned_and_finished', 'has-changes': false });
    });

    it('waits in planned without auto-apply until the apply action', async () => {
      await start();
      const ws = await createWorkspace();
      const cvId = await uploadConfiguration(ws.id);
      const run = data(
        await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { 'auto-apply': false }, cvId)),
      );
      clock.advance(5000);
      expect(await runStatus(run.id)).toBe('planned');
      expect((await call(fake, 'POST', `/api/v2/runs/${run.id}/actions/apply`)).status).toBe(202);
      expect((await call(fake, 'POST', `/api/v2/runs/${run.id}/actions/apply`)).status).toBe(409);
      clock.advance(500);
      expect(await runStatus(run.id)).toBe('applied');
    });

    it('discards a queued run and cancels a planning one; the next queued run then starts', async () => {
      await start();
      const ws = await createWorkspace();
      const cvId = await uploadConfiguration(ws.id);
      const first = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId)));
      const second = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { message: 'two' })));
      const third = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { message: 'three' })));
      clock.advance(100);
      expect((await call(fake, 'POST', `/api/v2/runs/${second.id}/actions/discard`)).status).toBe(202);
      expect((await call(fake, 'POST', `/api/v2/runs/${first.id}/actions/cancel`)).status).toBe(202);
      expect((await call(fake, 'POST', `/api/v2/runs/${first.id}/actions/cancel`)).status).toBe(409);
      expect([await runStatus(first.id), await runStatus(second.id), await runStatus(third.id)]).toEqual([
        'canceled',
        'discarded',
        'planning',
      ]);
      expect(fake.run(third.id)?.startedAt).toBe(T0 + 100);
      const statuses = list(
        await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/runs?filter%5Bstatus%5D=canceled`),
      );
      expect(statuses.map((r) => r.id)).toEqual([first.id]);
    });

    it('runs on real time by default: a run applies about runDurationMs after it starts', async () => {
      await start({ clock: undefined, runDurationMs: 20 });
      const ws = await createWorkspace();
      const cvId = await uploadConfiguration(ws.id);
      const run = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId)));
      const deadline = Date.now() + 2000;
      let status = await runStatus(run.id);
      while (status !== 'applied' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        status = await runStatus(run.id);
      }
      expect(status).toBe('applied');
      expect(fake.run(run.id)?.finishedAt).toBeGreaterThanOrEqual(fake.run(run.id)?.startedAt ?? Infinity);
    });

    it('answers 503 for current outputs while they are processing after an apply', async () => {
      await start({ outputs, outputsProcessingMs: 300 });
      const ws = await createWorkspace();
      const cvId = await uploadConfiguration(ws.id);
      await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId));
      clock.advance(1000);
      const processing = await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/current-state-version-outputs`);
      expect(processing.status).toBe(503);
      clock.advance(300);
      expect(
        (await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/current-state-version-outputs`)).status,
      ).toBe(200);
    });
  });

  describe('safe delete', () => {
    it('refuses with 409 while resources are managed and deletes after a destroy run', async () => {
      await start({ outputs: () => [{ name: 'url', value: 'https://x' }] });
      const ws = await createWorkspace();
      const cvId = await uploadConfiguration(ws.id);
      await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId));
      const safeDelete = `/api/v2/workspaces/${ws.id}/actions/safe-delete`;
      const locked = await call(fake, 'POST', safeDelete);
      expect(locked.status).toBe(409);
      expect(locked.doc.errors?.[0]?.detail).toMatch(/locked/);
      clock.advance(1000);
      const managing = await call(fake, 'POST', safeDelete);
      expect(managing.status).toBe(409);
      expect(managing.doc.errors?.[0]).toMatchObject({ status: '409', title: 'conflict' });
      expect(managing.doc.errors?.[0]?.detail).toMatch(/still managing resources/);

      const destroy = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, { 'is-destroy': true })));
      clock.advance(1000);
      expect(await runStatus(destroy.id)).toBe('applied');
      expect(
        list(await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/current-state-version-outputs`)),
      ).toEqual([]);
      expect(fake.workspace('tenant-acme')).toMatchObject({ resourceCount: 0, outputs: [] });

      expect((await call(fake, 'POST', safeDelete)).status).toBe(204);
      expect((await call(fake, 'GET', `/api/v2/workspaces/${ws.id}`)).status).toBe(404);
      expect((await call(fake, 'GET', `/api/v2/runs/${destroy.id}`)).status).toBe(404);
    });
  });

  describe('rate limiting', () => {
    it('answers 429 with X-RateLimit headers past 30 requests per second per token', async () => {
      const rateClock = new ManualClock(0);
      await start({ rateLimitPerSecond: undefined, rateLimitClock: rateClock });
      const path = `/api/v2/organizations/${ORG}/workspaces`;
      for (let i = 0; i < 30; i += 1) {
        rateClock.advance(10);
        const ok = await call(fake, 'GET', path);
        expect(ok.status).toBe(200);
        expect(ok.headers['x-ratelimit-limit']).toBe('30');
      }
      const limited = await call(fake, 'GET', path);
      expect(limited.status).toBe(429);
      expect(limited.headers['x-ratelimit-limit']).toBe('30');
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      expect(limited.headers['x-ratelimit-reset']).toBe('0.710');
      expect(limited.doc.errors).toEqual([
        { detail: "You have exceeded the API's rate limit.", status: 429, title: 'Too many requests' },
      ]);
      rateClock.advance(710);
      expect((await call(fake, 'GET', path)).status).toBe(200);
      expect(fake.requests.filter((r) => r.answeredBy === 'rate-limit')).toHaveLength(1);
    });

    it('answers the ping endpoint without a token and advertises the rate limit', async () => {
      await start({ rateLimitPerSecond: 30 });
      const ping = await call(fake, 'GET', '/api/v2/ping', undefined, null);
      expect(ping.status).toBe(204);
      expect(ping.headers['x-ratelimit-limit']).toBe('30');
      expect(ping.headers['tfp-api-version']).toBe('2.6');
    });
  });

  describe('fault injection', () => {
    it('answers the next N matching requests with the injected status, then recovers', async () => {
      await start({
        faults: [{ method: 'POST', path: '/api/v2/organizations/:org/workspaces', status: 500 }],
      });
      expect(
        (await call(fake, 'POST', `/api/v2/organizations/${ORG}/workspaces`, workspaceBody('a'))).status,
      ).toBe(500);
      expect(fake.workspaces).toHaveLength(0);
      const ws = await createWorkspace('a');

      fake.injectFault({ method: 'GET', path: '/api/v2/workspaces/:id', status: 503, times: 2 });
      fake.injectFault({ path: /\/vars$/, status: 429 });
      expect(fake.pendingFaults).toBe(2);
      const first = await call(fake, 'GET', `/api/v2/workspaces/${ws.id}`);
      expect(first.status).toBe(503);
      expect(first.doc.errors).toEqual([{ status: '503', title: 'service unavailable' }]);
      expect((await call(fake, 'GET', `/api/v2/workspaces/${ws.id}`)).status).toBe(503);
      expect((await call(fake, 'GET', `/api/v2/workspaces/${ws.id}`)).status).toBe(200);
      const throttled = await call(fake, 'GET', `/api/v2/workspaces/${ws.id}/vars`);
      expect(throttled.status).toBe(429);
      expect(throttled.headers['x-ratelimit-reset']).toBe('0.1');
      expect(fake.pendingFaults).toBe(0);

      expect(fake.countBy('GET /api/v2/workspaces/:id')).toBe(3);
      expect(fake.countBy({ method: 'POST', path: '/api/v2/organizations/:org/workspaces' })).toBe(2);
      expect(fake.requests.filter((r) => r.answeredBy === 'fault').map((r) => r.status)).toEqual([
        500, 503, 503, 429,
      ]);
    });

    it('lets a hook answer instead of the API', async () => {
      await start({ faultHook: (req) => (req.method === 'DELETE' ? { status: 502 } : undefined) });
      const ws = await createWorkspace();
      expect((await call(fake, 'DELETE', `/api/v2/workspaces/${ws.id}`)).status).toBe(502);
      expect(fake.workspaces).toHaveLength(1);
    });
  });

  describe('determinism', () => {
    it('gives the same ids to the same sequence of requests', async () => {
      const ids: string[][] = [];
      for (let i = 0; i < 2; i += 1) {
        await start({ seed: 42 });
        const ws = await createWorkspace();
        const cvId = await uploadConfiguration(ws.id);
        const run = data(await call(fake, 'POST', '/api/v2/runs', runBody(ws.id, {}, cvId)));
        ids.push([ws.id, cvId, run.id]);
        if (i === 0) await fake.close();
      }
      expect(ids[0]).toEqual(ids[1]);
    });
  });
});
