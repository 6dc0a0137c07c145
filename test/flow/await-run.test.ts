/**
 * The AwaitRun state end to end: the real ASL file, DynamoDB Local, the TFC fake sending signed run
 * notifications (notification-configurations.mdx) to a receiver over HTTP, and the local emulation of the
 * task-token callback. The flow finishes on the notification, falls back to polling when it is lost, and
 * neither a late, repeated nor foreign notification changes what it does.
 */
import type { RunEnd } from '../../lambdas/core/flow-state';
import { systemClock } from '../../lambdas/core/ports';
import { parseTenantCode, type TenantCode } from '../../lambdas/core/tenant-code';
import { workspaceName } from '../../lambdas/core/workspace';
import type { EventLog, LocalExecution } from '../../lambdas/local/state-machine';
import { RunNotifications } from '../../lambdas/use-cases/run-notifications';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { ENVIRONMENT, flowHarness, type FlowHarness } from '../support/flow-harness';
import { NotificationDestination } from '../support/notification-destination';
import { runNotificationPayload, signed } from '../support/run-notification-payload';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

const HMAC = 'await-run-notification-token-0123456789';
let tables: TestTables;
let fake: TfcFake;
let destination: NotificationDestination;
/** The harness whose flows the receiver wakes (one per test). */
let current: FlowHarness | undefined;
let n = 0;
const newCode = () => parseTenantCode(`aw-${Date.now().toString(36)}-${n++}`);

beforeAll(async () => {
  tables = await createTestTables();
  destination = await new NotificationDestination((body, signature) => {
    if (!current) return Promise.resolve({ statusCode: 503, body: '{}' });
    const receiver = new RunNotifications({
      repository: current.repository,
      waker: current.waker,
      token: () => Promise.resolve(HMAC),
      environment: ENVIRONMENT,
      clock: systemClock,
    });
    return receiver.receive({ body, ...(signature ? { signature } : {}) });
  }).start();
  fake = await startTfcFake({
    ...FAST_TIMINGS,
    // Long enough that AwaitRun has stored its token when the run ends.
    runDurationMs: 400,
    organization: 'acme',
    token: 'tfc-test-token-123',
    // TFC processes a new state before its outputs can be read (503 meanwhile): longer than the client's
    // retries in the harness (about 150 ms) for the `-slow-` tenants.
    outputsProcessingMs: (run) => (run.workspaceName.includes('-slow-') ? 800 : 0),
    outputs: (name) => [{ name: 'bucket_name', value: `${name}-data` }],
    runOutcome: (ws) =>
      ws.name.includes('-fail-')
        ? { status: 'errored', message: 'Error: creating bucket: AccessDenied' }
        : ws.name.includes('-person-')
          ? 'policy_override'
          : undefined,
  });
});
afterEach(() => {
  current = undefined;
  fake.dropNotifications(false);
});
afterAll(async () => {
  await fake.close();
  await destination.close();
  await tables.drop();
});

/** A harness with notifications on; the wait falls back to polling after `timeoutMs`. */
function harness(timeoutMs = 30_000): FlowHarness {
  current = flowHarness(tables, fake, {
    notifications: { url: () => destination.url, token: () => Promise.resolve(HMAC) },
    awaitRun: { timeoutMs },
  });
  return current;
}

const entered = (events: readonly EventLog[]) =>
  events.filter((e) => e.type === 'StateEntered').map((e) => (e as { state: { name: string } }).state.name);

const runEndOf = (execution: LocalExecution) =>
  (execution.output as { run?: { end?: RunEnd } } | undefined)?.run;

async function create(h: FlowHarness, code: TenantCode): Promise<LocalExecution> {
  await h.requests.create({ tenantCode: code }, 'api:test');
  return h.executeLast();
}

it('finishes a create on its run notification: six transitions, no Check', async () => {
  const h = harness();
  const code = newCode();

  const execution = await create(h, code);

  expect(execution.status).toBe('succeeded');
  expect(entered(execution.events)).toEqual([
    'Admit',
    'Admitted?',
    'Trigger',
    'Started?',
    'AwaitRun',
    'Finalize',
  ]);
  expect(runEndOf(execution)?.end).toMatchObject({
    outcome: 'succeeded',
    runStatus: 'applied',
    via: 'notification',
  });
  const tenant = await h.repository.get(code);
  expect(tenant).toMatchObject({ status: 'ready', runStatus: 'applied' });
  expect(await h.repository.getRunWaiter(code)).toBeUndefined();
});

it('falls back to polling when the notification is lost (TFC does not redeliver)', async () => {
  const h = harness(300);
  fake.dropNotifications(true);
  const code = newCode();

  const execution = await create(h, code);

  expect(execution.status).toBe('succeeded');
  const states = entered(execution.events);
  expect(states.slice(0, 6)).toEqual(['Admit', 'Admitted?', 'Trigger', 'Started?', 'AwaitRun', 'Wait']);
  expect(states).toContain('Check');
  expect(await h.repository.get(code)).toMatchObject({ status: 'ready' });
  expect(
    fake.notificationDeliveries.some(
      (d) => d.dropped && d.workspaceName === workspaceName(ENVIRONMENT, code),
    ),
  ).toBe(true);
});

it('still finishes when the notification arrives before the token is stored: the one read wakes it', async () => {
  const h = harness();
  const code = newCode();
  const awaitRun = h.tasks.awaitRun;
  // AwaitRun starts only once TFC has told the receiver the run ended (and it found no one waiting).
  h.tasks.awaitRun = async (input) => {
    const ws = workspaceName(ENVIRONMENT, code);
    const deadline = Date.now() + 10_000;
    while (!fake.notificationDeliveries.some((d) => d.workspaceName === ws && d.status === 200)) {
      if (Date.now() > deadline) throw new Error('no notification was delivered');
      await new Promise((r) => setTimeout(r, 20));
    }
    return awaitRun(input);
  };

  const execution = await create(h, code);

  expect(execution.status).toBe('succeeded');
  expect(runEndOf(execution)?.end).toMatchObject({ outcome: 'succeeded', via: 'read' });
  expect(entered(execution.events)).not.toContain('Check');
  expect(await h.repository.get(code)).toMatchObject({ status: 'ready' });
});

it('runs Finalize once when the notification is delivered again, and a replay after the end changes nothing', async () => {
  const h = harness();
  const code = newCode();
  let finalized = 0;
  const finalize = h.tasks.finalize;
  h.tasks.finalize = (input) => {
    finalized += 1;
    return finalize(input);
  };

  const execution = await create(h, code);
  await fake.settleNotifications();
  const delivered = fake.notificationDeliveries.find(
    (d) => d.workspaceName === workspaceName(ENVIRONMENT, code) && d.trigger === 'run:completed',
  );
  const before = await h.repository.get(code);
  const replay = await fetch(destination.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tfe-notification-signature': delivered?.signature ?? '',
    },
    body: delivered?.body ?? '',
  });

  expect(execution.status).toBe('succeeded');
  expect(finalized).toBe(1);
  expect(replay.status).toBe(200);
  expect(await replay.json()).toEqual({ status: 'ignored', reason: 'no flow waits for this run' });
  expect(await h.repository.get(code)).toEqual(before);
});

it('ignores a signed notification for a run the control plane did not start', async () => {
  const h = harness();
  const code = newCode();
  await create(h, code);
  const before = await h.repository.get(code);
  const body = JSON.stringify(
    runNotificationPayload({
      notification_configuration_id: 'nc-foreign',
      run_url: null,
      run_id: 'run-not-ours',
      run_message: 'foreign',
      run_created_at: new Date().toISOString(),
      run_created_by: 'someone',
      workspace_id: 'ws-x',
      workspace_name: workspaceName(ENVIRONMENT, code),
      event: {
        message: 'Run Errored',
        trigger: 'run:errored',
        run_status: 'errored',
        run_updated_at: new Date().toISOString(),
      },
    }),
  );

  const answer = await fetch(destination.url, {
    method: 'POST',
    headers: { 'x-tfe-notification-signature': signed(body, HMAC) },
    body,
  });

  expect(answer.status).toBe(200);
  expect(await h.repository.get(code)).toEqual(before);
});

it("fails the tenant on a failed run's notification, with the reason read from TFC, and fails the execution", async () => {
  const h = harness();
  const code = parseTenantCode(`aw-fail-${n++}`);

  const execution = await create(h, code);

  expect(execution.status).toBe('failed');
  expect(entered(execution.events)).not.toContain('Check');
  const tenant = await h.repository.get(code);
  expect(tenant).toMatchObject({ status: 'failed', lastError: { code: 'RunFailed' } });
  expect(tenant?.lastError?.message).toMatch(
    /^Terraform run run-\w+ ended errored; its plan and apply logs are at /,
  );
  // The execution fails with the tenant's reason (TenantFailed, not retried).
  expect(execution.error).toContain(tenant?.lastError?.message);
});

it('discards a run that stops for a person, as Check would, on its needs-attention notification', async () => {
  const h = harness();
  const code = parseTenantCode(`aw-person-${n++}`);

  const execution = await create(h, code);

  expect(execution.status).toBe('failed');
  expect(entered(execution.events)).not.toContain('Check');
  const tenant = await h.repository.get(code);
  expect(tenant?.lastError).toMatchObject({ code: 'RunNeedsAttention' });
  expect(fake.runs.find((r) => r.id === tenant?.runId)?.status).toBe('discarded');
});

it('polls when TFC would not take the configuration (the receiver failed its verification)', async () => {
  const refusing = await new NotificationDestination().start();
  refusing.status = 500;
  try {
    const h = flowHarness(tables, fake, {
      notifications: { url: () => refusing.url, token: () => Promise.resolve(HMAC) },
      awaitRun: { timeoutMs: 30_000 },
    });
    const code = newCode();

    const execution = await create(h, code);

    expect(execution.status).toBe('succeeded');
    expect(entered(execution.events)).not.toContain('AwaitRun');
    expect(entered(execution.events)).toContain('Check');
    expect(await h.repository.get(code)).toMatchObject({ status: 'ready' });
  } finally {
    await refusing.close();
  }
});

it('reads outputs TFC is still processing when the notification arrives, without failing the step', async () => {
  const h = harness();
  const code = parseTenantCode(`aw-slow-${n++}`);

  const execution = await create(h, code);

  expect(execution.status).toBe('succeeded');
  expect(execution.events.filter((e) => e.type === 'StateRetried')).toEqual([]);
  expect(await h.repository.get(code)).toMatchObject({
    status: 'ready',
    outputs: { bucket_name: `${workspaceName(ENVIRONMENT, code)}-data` },
  });
  expect(
    fake.requests.filter((r) => r.path.endsWith('/current-state-version-outputs') && r.status === 503).length,
  ).toBeGreaterThan(0);
});
