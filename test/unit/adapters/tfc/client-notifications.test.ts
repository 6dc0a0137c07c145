/**
 * The notification configurations client and the registration over real HTTP against the TFC fake
 * (notification-configurations.mdx, notification-configurations/project.mdx): create/list/update/delete,
 * one registration per process, reuse after a restart, rotation, the workspace fallback, faults.
 */
import { TfcClient } from '../../../../lambdas/adapters/tfc/client';
import { NotificationRegistration } from '../../../../lambdas/adapters/tfc/notification-registration';
import {
  notificationConfigurationName,
  RUN_END_TRIGGERS,
} from '../../../../lambdas/adapters/tfc/notifications';
import { staticTokenProvider } from '../../../../lambdas/adapters/tfc/token';
import { NotificationDestination } from '../../../support/notification-destination';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../../../support/tfc-fake/server';

const ORG = 'acme';
const TFC_TOKEN = 'tfc-token-for-notifications';
const HMAC = 'hmac-token-0123456789abcdef0123456789abcdef';

let fake: TfcFake;
let destination: NotificationDestination;
let client: TfcClient;
let projectId: string;
let workspaceId: string;
const warnings: { message: string; attributes?: Record<string, unknown> }[] = [];
const infos: string[] = [];
const logger = {
  debug: () => undefined,
  info: (message: string) => void infos.push(message),
  warn: (message: string, attributes?: Record<string, unknown>) =>
    void warnings.push({ message, attributes }),
};

beforeEach(async () => {
  warnings.length = 0;
  infos.length = 0;
  destination = await new NotificationDestination().start();
  fake = await startTfcFake({ organization: ORG, token: TFC_TOKEN, ...FAST_TIMINGS });
  client = new TfcClient({
    address: fake.url,
    organization: ORG,
    token: staticTokenProvider(TFC_TOKEN),
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    logger,
  });
  projectId = await client.projects.ensure('tenant-control-plane-test', 'tenants');
  workspaceId = (await client.ensureWorkspace('tenant-test-acme', { tenantCode: 'acme', projectId })).id;
});

afterEach(async () => {
  await fake.close();
  await destination.close();
});

function registration(token = HMAC, url = destination.url, retryAfterMs = 60_000) {
  return new NotificationRegistration(
    client.notifications,
    { url, token: () => Promise.resolve(token) },
    { projectId: () => Promise.resolve(projectId), logger, retryAfterMs },
  );
}

describe('NotificationsApi', () => {
  it('creates, lists, updates, verifies and deletes a project configuration', async () => {
    const scope = { kind: 'projects' as const, id: projectId };
    const created = await client.notifications.create(scope, {
      name: 'tenant-control-plane',
      url: destination.url,
      token: HMAC,
      triggers: RUN_END_TRIGGERS,
      enabled: true,
    });
    expect(created).toMatchObject({
      name: 'tenant-control-plane',
      url: destination.url,
      enabled: true,
      destinationType: 'generic',
    });
    expect(destination.verifications()).toHaveLength(1);
    expect(await client.notifications.list(scope)).toEqual([created]);
    const disabled = await client.notifications.update(created.id, { enabled: false });
    expect(disabled.enabled).toBe(false);
    await client.notifications.verify(created.id);
    expect(destination.verifications()).toHaveLength(2);
    await client.notifications.delete(created.id);
    await client.notifications.delete(created.id); // gone already: fine
    expect(await client.notifications.list(scope)).toEqual([]);
  });

  it('lists every page of a workspace with many configurations', async () => {
    const scope = { kind: 'workspaces' as const, id: workspaceId };
    for (let i = 0; i < 20; i += 1) {
      await client.notifications.create(scope, {
        name: `n${i}`,
        url: destination.url,
        token: HMAC,
        triggers: [],
        enabled: false,
      });
    }
    expect(await client.notifications.list(scope)).toHaveLength(20);
  });

  it('waits out a 429 and retries a 5xx on reads', async () => {
    const scope = { kind: 'projects' as const, id: projectId };
    fake.injectFault(
      { method: 'GET', path: '/api/v2/projects/:id/notification-configurations', status: 429 },
      { method: 'GET', path: '/api/v2/projects/:id/notification-configurations', status: 503 },
    );
    expect(await client.notifications.list(scope)).toEqual([]);
    expect(fake.pendingFaults).toBe(0);
  });
});

describe('NotificationRegistration', () => {
  it('creates one configuration on the project, once per process, and TFC then notifies the run end', async () => {
    const reg = registration();
    expect(await Promise.all([reg.ensureFor(workspaceId), reg.ensureFor(workspaceId)])).toEqual([true, true]);
    await expect(reg.ensureFor('ws-other')).resolves.toBe(true);
    const [nc, ...others] = fake.notificationConfigurations;
    expect(others).toHaveLength(0);
    expect(nc).toMatchObject({
      subscribable: { type: 'projects', id: projectId },
      name: notificationConfigurationName(destination.url, HMAC),
      url: destination.url,
      token: HMAC,
      enabled: true,
      triggers: [...RUN_END_TRIGGERS],
    });
    expect(fake.countBy('GET /api/v2/projects/:id/notification-configurations')).toBe(1);
    expect(fake.countBy('POST /api/v2/projects/:id/notification-configurations')).toBe(1);
    expect(nc?.name).not.toContain(HMAC);
  });

  it('reuses the configuration after a restart without writing, and rotates a new token or URL in place', async () => {
    await registration().ensureFor(workspaceId);
    fake.clearRequests();
    await registration().ensureFor(workspaceId); // a new process with the same token and URL
    expect(fake.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200']);
    expect(destination.verifications()).toHaveLength(1);

    fake.clearRequests();
    await registration('a-rotated-hmac-token').ensureFor(workspaceId);
    expect(fake.requests.map((r) => r.method)).toEqual(['GET', 'PATCH']);
    expect(fake.notificationConfigurations).toEqual([
      expect.objectContaining({
        token: 'a-rotated-hmac-token',
        name: notificationConfigurationName(destination.url, 'a-rotated-hmac-token'),
      }),
    ]);

    // Disabled by a person: enabled again.
    const id = fake.notificationConfigurations[0]?.id ?? '';
    await client.notifications.update(id, { enabled: false });
    fake.clearRequests();
    await registration('a-rotated-hmac-token').ensureFor(workspaceId);
    expect(fake.requests.map((r) => r.method)).toEqual(['GET', 'PATCH']);
    expect(fake.notificationConfigurations[0]?.enabled).toBe(true);
  });

  it('deletes duplicates left by instances that raced, and leaves other configurations alone', async () => {
    const scope = { kind: 'projects' as const, id: projectId };
    const name = notificationConfigurationName(destination.url, HMAC);
    const input = { name, url: destination.url, token: HMAC, triggers: RUN_END_TRIGGERS, enabled: true };
    await client.notifications.create(scope, input);
    await client.notifications.create(scope, input);
    await client.notifications.create(scope, { ...input, name: 'pagerduty', enabled: false });
    await registration().ensureFor(workspaceId);
    expect(fake.notificationConfigurations.map((c) => c.name).sort()).toEqual(['pagerduty', name]);
  });

  it('falls back to one configuration per workspace where project configurations answer 404', async () => {
    fake.injectFault({
      path: '/api/v2/projects/:id/notification-configurations',
      status: 404,
      times: Infinity,
    });
    const reg = registration();
    await reg.ensureFor(workspaceId);
    await reg.ensureFor(workspaceId);
    const second = (await client.ensureWorkspace('tenant-test-beta', { tenantCode: 'beta', projectId })).id;
    await reg.ensureFor(second);
    expect(fake.notificationConfigurations.map((c) => c.subscribable)).toEqual([
      { type: 'workspaces', id: workspaceId },
      { type: 'workspaces', id: second },
    ]);
    expect(fake.countBy('GET /api/v2/workspaces/:id/notification-configurations')).toBe(2);
    expect(infos.some((m) => m.includes('one per workspace'))).toBe(true);
  });

  it('never fails the run when the receiver fails the verification, and tries again later', async () => {
    let now = 0;
    destination.status = 503;
    const reg = new NotificationRegistration(
      client.notifications,
      { url: destination.url, token: () => Promise.resolve(HMAC) },
      { projectId: () => Promise.resolve(projectId), logger, now: () => now },
    );
    // Not registered: the run is started all the same, and its flow polls.
    await expect(reg.ensureFor(workspaceId)).resolves.toBe(false);
    expect(fake.notificationConfigurations).toHaveLength(0);
    expect(warnings).toEqual([
      expect.objectContaining({
        attributes: { reason: 'the receiver did not answer the verification request with a 2xx' },
      }),
    ]);
    expect(JSON.stringify(warnings)).not.toContain(HMAC);
    await expect(reg.ensureFor(workspaceId)).resolves.toBe(false); // within the retry interval: nothing sent
    expect(destination.verifications()).toHaveLength(1);
    destination.status = 200;
    now = 60_001;
    await expect(reg.ensureFor(workspaceId)).resolves.toBe(true);
    expect(fake.notificationConfigurations).toHaveLength(1);
  });

  it('survives TFC errors while registering and registers once TFC answers again', async () => {
    let now = 0;
    fake.injectFault({ path: '/api/v2/projects/:id/notification-configurations', status: 500, times: 4 });
    const reg = new NotificationRegistration(
      client.notifications,
      { url: destination.url, token: () => Promise.resolve(HMAC) },
      { projectId: () => Promise.resolve(projectId), logger, now: () => now },
    );
    await reg.ensureFor(workspaceId);
    expect(warnings.filter((w) => w.message.includes('not registered'))).toHaveLength(1);
    now = 120_000;
    await reg.ensureFor(workspaceId);
    expect(fake.notificationConfigurations).toHaveLength(1);
  });
});
