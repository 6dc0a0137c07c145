/**
 * The flow's TFC backend with notifications on: the configuration is registered on the environment's
 * project before the first run, once per process, and TFC (the fake) then notifies the end of every run
 * of the environment's workspaces to the receiver, signed with the token.
 */
import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { workspaceName } from '../../lambdas/core/workspace';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { ENVIRONMENT, flowHarness } from '../support/flow-harness';
import { NotificationDestination } from '../support/notification-destination';
import { signed } from '../support/run-notification-payload';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

const HMAC = 'flow-notification-token-0123456789abcdef';
let tables: TestTables;
let fake: TfcFake;
let destination: NotificationDestination;
let n = 0;
const newCode = () => parseTenantCode(`nt-${Date.now().toString(36)}-${n++}`);

beforeAll(async () => {
  tables = await createTestTables();
  destination = await new NotificationDestination().start();
  fake = await startTfcFake({ ...FAST_TIMINGS, organization: 'acme', token: 'tfc-test-token-123' });
});
afterAll(async () => {
  await fake.close();
  await destination.close();
  await tables.drop();
});

it('registers once per process and TFC notifies each run end to the receiver, signed', async () => {
  const h = flowHarness(tables, fake, {
    notifications: { url: () => destination.url, token: () => Promise.resolve(HMAC) },
  });
  const codes = [newCode(), newCode()];
  for (const code of codes) {
    await h.requests.create({ tenantCode: code }, 'api:test');
    expect((await h.executeLast()).status).toBe('succeeded');
  }
  await fake.settleNotifications();

  expect(fake.notificationConfigurations).toHaveLength(1);
  expect(fake.notificationConfigurations[0]?.subscribable.type).toBe('projects');
  expect(fake.countBy('GET /api/v2/projects/:id/notification-configurations')).toBe(1);
  expect(destination.verifications()).toHaveLength(1);
  const completed = destination.runNotifications();
  expect(completed.map((r) => r.json.workspace_name).sort()).toEqual(
    codes.map((code) => workspaceName(ENVIRONMENT, code)).sort(),
  );
  for (const r of completed) {
    expect(r.json.notifications[0]).toMatchObject({ trigger: 'run:completed', run_status: 'applied' });
    expect(r.headers['x-tfe-notification-signature']).toBe(signed(r.body, HMAC));
    const tenant = await h.repository.get(
      parseTenantCode(String(r.json.workspace_name).replace(`tenant-${ENVIRONMENT}-`, '')),
    );
    expect(r.json.run_id).toBe(tenant?.runId);
  }
});
