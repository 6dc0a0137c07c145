/**
 * The fake's notification configurations and run notifications against the docs
 * (notification-configurations.mdx, notification-configurations/project.mdx, index.mdx rate limits):
 * a real HTTP destination receives them, and signatures are checked with node:crypto alone.
 */
import { NotificationDestination } from '../../support/notification-destination';
import { runNotificationPayload, signed, verificationPayload } from '../../support/run-notification-payload';
import { FAST_TIMINGS, startTfcFake, type TfcFake, type TfcFakeOptions } from '../../support/tfc-fake/server';
import {
  ORG,
  T0,
  TOKEN,
  ManualClock,
  call,
  createWorkspace,
  data,
  list,
  runBody,
  startManualFake,
  uploadConfiguration,
} from './fake-client';

const HMAC_TOKEN = 'a-notification-token-of-64-hex-characters-0123456789abcdef0123';

const ncBody = (attributes: Record<string, unknown>): unknown => ({
  data: { type: 'notification-configuration', attributes },
});

const generic = (url: string, extra: Record<string, unknown> = {}): unknown =>
  ncBody({
    'destination-type': 'generic',
    enabled: true,
    name: 'tenant-control-plane',
    url,
    token: HMAC_TOKEN,
    triggers: ['run:completed', 'run:errored', 'run:needs_attention'],
    ...extra,
  });

describe('TFC fake notification configurations', () => {
  let fake: TfcFake;
  let clock: ManualClock;
  let destination: NotificationDestination;

  async function start(options: Partial<TfcFakeOptions> = {}): Promise<void> {
    ({ fake, clock } = await startManualFake(options));
  }

  beforeEach(async () => {
    destination = await new NotificationDestination().start();
  });

  afterEach(async () => {
    await fake.close();
    await destination.close();
  });

  /** Creates a generic configuration to the destination on a workspace or project (saved after its verification). */
  function configure(scope: 'workspaces' | 'projects', id: string) {
    return call(fake, 'POST', `/api/v2/${scope}/${id}/notification-configurations`, generic(destination.url));
  }

  /** A workspace in a new project, with a configuration version ready to run. */
  async function workspaceInProject(): Promise<{ projectId: string; workspaceId: string; cvId: string }> {
    const project = data(
      await call(fake, 'POST', `/api/v2/organizations/${ORG}/projects`, {
        data: { type: 'projects', attributes: { name: 'tenants-dev' } },
      }),
    );
    const ws = await createWorkspace(fake, 'tenant-dev-acme', {});
    const moved = await call(fake, 'PATCH', `/api/v2/workspaces/${ws.id}`, {
      data: {
        type: 'workspaces',
        relationships: { project: { data: { type: 'projects', id: project.id } } },
      },
    });
    expect(moved.status).toBe(200);
    return { projectId: project.id, workspaceId: ws.id, cvId: await uploadConfiguration(fake, ws.id) };
  }

  async function startRun(workspaceId: string, cvId: string, extra: Record<string, unknown> = {}) {
    return data(await call(fake, 'POST', '/api/v2/runs', runBody(workspaceId, extra, cvId)));
  }

  it('verifies an enabled configuration before saving it: a signed "Send a test" payload', async () => {
    await start();
    const { workspaceId } = await workspaceInProject();
    const created = await configure('workspaces', workspaceId);
    expect(created.status).toBe(201);
    const nc = data(created);
    expect(nc.type).toBe('notification-configurations');
    expect(nc.attributes).toMatchObject({
      enabled: true,
      name: 'tenant-control-plane',
      url: destination.url,
      'destination-type': 'generic',
      token: null,
      triggers: ['run:completed', 'run:errored', 'run:needs_attention'],
    });
    expect(nc.relationships?.subscribable?.data).toEqual({ id: workspaceId, type: 'workspaces' });
    expect(nc.attributes['delivery-responses']).toEqual([
      expect.objectContaining({ url: destination.url, code: '200', successful: 'true', body: 'ok' }),
    ]);
    expect(created.text).not.toContain(HMAC_TOKEN);

    expect(destination.received).toHaveLength(1);
    const [verification] = destination.received;
    expect(verification?.headers['x-tfe-notification-signature']).toBe(
      signed(verification?.body ?? '', HMAC_TOKEN),
    );
    expect(verification?.json).toEqual(verificationPayload(nc.id, 'tenant-control-plane'));

    expect(fake.notificationConfigurations[0]?.token).toBe(HMAC_TOKEN);
  });

  it('does not save an enabled configuration whose destination fails the verification (400)', async () => {
    await start();
    const { workspaceId } = await workspaceInProject();
    destination.status = 500;
    const path = `/api/v2/workspaces/${workspaceId}/notification-configurations`;
    const refused = await call(fake, 'POST', path, generic(destination.url));
    expect(refused.status).toBe(400);
    expect(refused.doc.errors?.[0]?.detail).toBe(
      'Unable to complete verification request to destination URL',
    );
    expect(list(await call(fake, 'GET', path))).toHaveLength(0);

    // Nobody listening at all: the same.
    const nowhere = await call(fake, 'POST', path, generic('http://127.0.0.1:9/nothing'));
    expect(nowhere.status).toBe(400);

    // A disabled configuration is saved without a verification.
    const before = destination.received.length;
    const disabled = await call(fake, 'POST', path, generic(destination.url, { enabled: false }));
    expect(disabled.status).toBe(201);
    expect(destination.received).toHaveLength(before);
    expect(list(await call(fake, 'GET', path))).toHaveLength(1);

    // Enabling it verifies; a failing destination leaves it disabled.
    const id = data(disabled).id;
    const enable = await call(
      fake,
      'PATCH',
      `/api/v2/notification-configurations/${id}`,
      ncBody({ enabled: true }),
    );
    expect(enable.status).toBe(400);
    expect(fake.notificationConfigurations[0]?.enabled).toBe(false);
    destination.status = 204;
    const enabled = await call(
      fake,
      'PATCH',
      `/api/v2/notification-configurations/${id}`,
      ncBody({ enabled: true }),
    );
    expect(enabled.status).toBe(200);
    expect(data(enabled).attributes.enabled).toBe(true);
  });

  it('answers 422 for a malformed configuration and 404 for an unknown workspace or project', async () => {
    await start();
    const { workspaceId } = await workspaceInProject();
    const path = `/api/v2/workspaces/${workspaceId}/notification-configurations`;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, '/data/attributes/name'],
      [{ url: 'ftp://example.com/x' }, '/data/attributes/url'],
      [{ url: undefined }, '/data/attributes/url'],
      [{ triggers: ['run:finished'] }, '/data/attributes/triggers'],
      [{ 'destination-type': 'pager' }, '/data/attributes/destination-type'],
      [{ enabled: 'yes' }, '/data/attributes/enabled'],
    ];
    for (const [attrs, pointer] of cases) {
      const answer = await call(fake, 'POST', path, generic(destination.url, attrs));
      expect(answer.status).toBe(422);
      expect(answer.doc.errors?.[0]?.source?.pointer).toBe(pointer);
    }
    const wrongType = await call(fake, 'POST', path, { data: { type: 'workspaces', attributes: {} } });
    expect(wrongType.status).toBe(409);
    expect(fake.notificationConfigurations).toHaveLength(0);
    expect(destination.received).toHaveLength(0);
    const missing = generic(destination.url);
    expect(
      (await call(fake, 'POST', '/api/v2/workspaces/ws-nothere/notification-configurations', missing)).status,
    ).toBe(404);
    expect(
      (await call(fake, 'POST', '/api/v2/projects/prj-nothere/notification-configurations', missing)).status,
    ).toBe(404);
  });

  it('allows 20 configurations per workspace', async () => {
    await start();
    const { workspaceId } = await workspaceInProject();
    const path = `/api/v2/workspaces/${workspaceId}/notification-configurations`;
    for (let i = 0; i < 20; i += 1) {
      expect((await call(fake, 'POST', path, generic(destination.url, { enabled: false }))).status).toBe(201);
    }
    expect((await call(fake, 'POST', path, generic(destination.url, { enabled: false }))).status).toBe(422);
  });

  it('sends a project configuration signed run notifications for its workspaces, as documented', async () => {
    await start();
    const { projectId, workspaceId, cvId } = await workspaceInProject();
    const created = await configure('projects', projectId);
    expect(created.status).toBe(201);
    expect(data(created).relationships?.subscribable?.data).toEqual({ id: projectId, type: 'projects' });
    const ncId = data(created).id;

    const run = await startRun(workspaceId, cvId, { message: 'tenant-control-plane: apply acme' });
    clock.advance(400);
    await fake.settleNotifications();
    expect(destination.runNotifications()).toHaveLength(0); // planning is not a subscribed trigger
    clock.advance(1000);
    await fake.settleNotifications();

    const [completed, ...others] = destination.runNotifications();
    expect(others).toHaveLength(0);
    expect(completed?.headers['content-type']).toBe('application/json');
    expect(completed?.headers['x-tfe-notification-signature']).toBe(
      signed(completed?.body ?? '', HMAC_TOKEN),
    );
    expect(completed?.json).toEqual(
      runNotificationPayload({
        notification_configuration_id: ncId,
        run_url: `${fake.url}/app/${ORG}/tenant-dev-acme/runs/${run.id}`,
        run_id: run.id,
        run_message: 'tenant-control-plane: apply acme',
        run_created_at: new Date(T0).toISOString(),
        run_created_by: 'owner',
        workspace_id: workspaceId,
        workspace_name: 'tenant-dev-acme',
        organization_name: ORG,
        event: {
          message: 'Run Applied',
          trigger: 'run:completed',
          run_status: 'applied',
          run_updated_at: new Date(T0 + 1000).toISOString(),
          run_updated_by: 'owner',
        },
      }),
    );

    expect(fake.notificationDeliveries.at(-1)).toMatchObject({
      trigger: 'run:completed',
      runId: run.id,
      status: 200,
      dropped: false,
    });
    // Observed again later: never sent twice.
    clock.advance(5000);
    await fake.settleNotifications();
    expect(destination.runNotifications()).toHaveLength(1);
  });

  it('notifies errored runs and runs that wait for a person; nothing for a discard or a plan-only run', async () => {
    const outcomes: Record<string, string> = {};
    await start({ runOutcome: (_ws, run) => outcomes[run.message] as never });
    const { workspaceId, cvId } = await workspaceInProject();
    await configure('workspaces', workspaceId);

    outcomes.a = 'errored';
    await startRun(workspaceId, cvId, { message: 'a' });
    clock.advance(1000);
    await fake.settleNotifications();
    outcomes.b = 'policy_override';
    const halted = await startRun(workspaceId, cvId, { message: 'b' });
    clock.advance(1000);
    await fake.settleNotifications();
    const discard = await call(fake, 'POST', `/api/v2/runs/${halted.id}/actions/discard`, {});
    expect(discard.status).toBe(202);
    clock.advance(1000);
    await startRun(workspaceId, cvId, { message: 'c', 'plan-only': true });
    clock.advance(1000);
    await fake.settleNotifications();

    const seen = destination.runNotifications().map((r) => r.json.notifications[0]);
    expect(seen).toEqual([
      expect.objectContaining({
        trigger: 'run:errored',
        run_status: 'errored',
        trigger_type: 'run:run_errored',
      }),
      expect.objectContaining({
        trigger: 'run:needs_attention',
        run_status: 'policy_override',
        trigger_type: 'run:policy_override_required',
      }),
    ]);
  });

  it('sends no signature without a token, and follows the configuration triggers', async () => {
    await start();
    const { workspaceId, cvId } = await workspaceInProject();
    const created = await call(
      fake,
      'POST',
      `/api/v2/workspaces/${workspaceId}/notification-configurations`,
      generic(destination.url, {
        token: null,
        triggers: ['run:created', 'run:planning', 'run:applying', 'run:completed'],
      }),
    );
    expect(created.status).toBe(201);
    await startRun(workspaceId, cvId);
    clock.advance(2000);
    await fake.settleNotifications();
    const seen = destination.runNotifications();
    expect(seen.map((r) => r.json.notifications[0]?.trigger)).toEqual([
      'run:created',
      'run:planning',
      'run:applying',
      'run:completed',
    ]);
    expect(seen.every((r) => r.headers['x-tfe-notification-signature'] === undefined)).toBe(true);
  });

  it('drops notifications when told to and never redelivers them', async () => {
    await start({ notifications: { drop: (intent) => intent.trigger === 'run:completed' } });
    const { workspaceId, cvId } = await workspaceInProject();
    await configure('workspaces', workspaceId);
    await startRun(workspaceId, cvId);
    clock.advance(2000);
    await fake.settleNotifications();
    expect(destination.runNotifications()).toHaveLength(0);
    expect(fake.notificationDeliveries.filter((d) => d.dropped)).toEqual([
      expect.objectContaining({ trigger: 'run:completed', dropped: true, status: undefined }),
    ]);
    fake.dropNotifications(false);
    clock.advance(2000);
    await fake.settleNotifications();
    expect(destination.runNotifications()).toHaveLength(0);
    fake.dropNotifications(true);
    await startRun(workspaceId, cvId, { message: 'again' });
    clock.advance(2000);
    await fake.settleNotifications();
    expect(destination.runNotifications()).toHaveLength(0);
  });

  it('does not redeliver a notification the destination failed', async () => {
    await start();
    const { workspaceId, cvId } = await workspaceInProject();
    await configure('workspaces', workspaceId);
    destination.status = 503;
    await startRun(workspaceId, cvId);
    clock.advance(2000);
    await fake.settleNotifications();
    clock.advance(60_000);
    await fake.settleNotifications();
    expect(destination.runNotifications()).toHaveLength(1);
    expect(fake.notificationDeliveries.at(-1)).toMatchObject({ status: 503, trigger: 'run:completed' });
  });

  it('sends the notification as soon as the run ends in real time, with the delay asked for', async () => {
    fake = await startTfcFake({
      organization: ORG,
      token: TOKEN,
      ...FAST_TIMINGS,
      runDurationMs: 200,
      notifications: { delayMs: 100 },
    });
    clock = new ManualClock(T0);
    const { workspaceId, cvId } = await workspaceInProject();
    await configure('workspaces', workspaceId);
    const run = await startRun(workspaceId, cvId);
    // Nothing asks the fake anything from here on: only its own timer can send the notification.
    const delivered = () => fake.notificationDeliveries.find((d) => d.runId === run.id);
    const deadline = Date.now() + 10_000;
    while (delivered() === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const delivery = delivered();
    const finishedAt = fake.run(run.id)?.finishedAt ?? Number.NaN;
    expect(delivery).toMatchObject({ trigger: 'run:completed', status: 200, at: finishedAt });
    expect(destination.runNotifications()).toHaveLength(1);
    // Measured on the fake's own clock (real time here), from the run's end to the request going out.
    const sentAfter = (delivery?.sentAt ?? Number.NaN) - finishedAt;
    expect((delivery?.settledAt ?? Number.NaN) - finishedAt).toBeGreaterThanOrEqual(100);
    expect(sentAfter).toBeGreaterThanOrEqual(99); // a 100 ms timer may read 99 ms on Date.now()
    // Due within 350 ms: the 100 ms delay after at most one 250 ms sleep of the fake. The upper bound is
    // wider only for a loaded 2-core machine, where timers fire late by a second or more; a fake that
    // slept on a scale of seconds still fails it (one that waited for a request never sends here).
    expect(sentAfter).toBeLessThan(2500);
  });

  it('limits the verify action to 10 per minute and never shows the token', async () => {
    await start();
    const { workspaceId } = await workspaceInProject();
    const nc = data(await configure('workspaces', workspaceId));
    const verify = `/api/v2/notification-configurations/${nc.id}/actions/verify`;
    for (let i = 0; i < 10; i += 1) {
      const answer = await call(fake, 'POST', verify);
      expect(answer.status).toBe(200);
      expect(answer.headers['x-ratelimit-limit']).toBe('10');
      expect(answer.text).not.toContain(HMAC_TOKEN);
    }
    const limited = await call(fake, 'POST', verify);
    expect(limited.status).toBe(429);
    expect(limited.headers['x-ratelimit-limit']).toBe('10');
    expect(destination.received).toHaveLength(11); // the create's verification and ten verify actions
    for (const path of [
      `/api/v2/notification-configurations/${nc.id}`,
      `/api/v2/workspaces/${workspaceId}/notification-configurations`,
    ]) {
      const answer = await call(fake, 'GET', path);
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(HMAC_TOKEN);
    }
    destination.status = 500;
    const failed = await call(fake, 'POST', `/api/v2/notification-configurations/${nc.id}`, undefined);
    expect(failed.status).toBe(405);
    const deleted = await call(fake, 'DELETE', `/api/v2/notification-configurations/${nc.id}`);
    expect(deleted.status).toBe(204);
    expect((await call(fake, 'GET', `/api/v2/notification-configurations/${nc.id}`)).status).toBe(404);
  });
});
