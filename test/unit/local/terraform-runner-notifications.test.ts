import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NOTIFICATION_SIGNATURE_HEADER,
  RUN_NOTIFICATION_PATH,
  RunNotificationPayloadSchema,
  runEndOf,
  verifySignature,
} from '../../../lambdas/core/run-notification';
import type { Tenant } from '../../../lambdas/core/tenant';
import { parseTenantCode } from '../../../lambdas/core/tenant-code';
import { workspaceName } from '../../../lambdas/core/workspace';
import {
  LOCAL_NOTIFICATION_CONFIGURATION_ID,
  LocalTerraformBackend,
  type LocalRunNotifications,
} from '../../../lambdas/local/terraform-runner';

/**
 * The local Terraform runner notifies the end of each run as Terraform Cloud does (payload version 1,
 * signed with the token), over real HTTP to a receiver that records what it gets.
 */
const TOKEN = 'c'.repeat(64);
const ENVIRONMENT = 'test';

interface Received {
  path: string;
  signature: string | undefined;
  body: Buffer;
}

let receiver: Server;
let receiverUrl: string;
let received: Received[];
let answerStatus: number;
let dataDir: string;
beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const header = req.headers[NOTIFICATION_SIGNATURE_HEADER];
      received.push({
        path: req.url ?? '',
        signature: typeof header === 'string' ? header : undefined,
        body: Buffer.concat(chunks),
      });
      res.writeHead(answerStatus, { 'content-type': 'application/json' }).end('{"status":"woken"}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${RUN_NOTIFICATION_PATH}`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
beforeEach(async () => {
  received = [];
  answerStatus = 200;
  dataDir = await mkdtemp(join(tmpdir(), 'tcp-runner-notify-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

let n = 0;
function tenant(): Tenant {
  return {
    tenantCode: parseTenantCode(`notify-${Date.now().toString(36)}-${n++}`),
    status: 'creating',
    flowId: `flow-${n}`,
    version: 1,
    action: 'create',
    tier: 'small',
    variables: {},
    requestedBy: 'api:test',
    createdAt: '2026-12-02T10:00:00.000Z',
    updatedAt: '2026-12-02T10:00:00.000Z',
  };
}

/** A Terraform that fails every command, as a broken module would. */
async function failingTerraform(): Promise<string> {
  const path = join(dataDir, 'terraform-failing');
  await writeFile(path, '#!/bin/sh\necho "Error: the module is broken" >&2\nexit 1\n');
  await chmod(path, 0o755);
  return path;
}

/** A runner notifying the recording receiver, unless `notifications` says otherwise (null: off). */
function backend(options: { terraformBinary?: string; notifications?: LocalRunNotifications | null } = {}) {
  const warnings: string[] = [];
  const notifications =
    options.notifications === undefined
      ? {
          url: () => receiverUrl,
          token: TOKEN,
          runUrl: (code: string, runId: string) => `http://127.0.0.1:4000/tenants/${code}/runs/${runId}/log`,
        }
      : options.notifications;
  const runner = new LocalTerraformBackend({
    dataDir: join(dataDir, 'workspaces'),
    moduleDir: 'terraform-module/local',
    environment: ENVIRONMENT,
    ...(notifications ? { notifications } : {}),
    ...(options.terraformBinary ? { terraformBinary: options.terraformBinary } : {}),
    warn: (line) => warnings.push(line),
  });
  return { runner, warnings };
}

/** Starts a run and waits until it has ended and its notification (if any) has been attempted. */
async function runToEnd(runner: LocalTerraformBackend, t: Tenant, expectNotification = true) {
  const started = await runner.startRun({ tenant: t, flowId: t.flowId, destroy: false });
  const locator = {
    tenantCode: t.tenantCode,
    runId: started.runId ?? '',
    workspaceId: started.workspaceId ?? '',
  };
  for (let i = 0; i < 600; i++) {
    const state = await runner.getRun(locator);
    if (
      (state.status === 'applied' || state.status === 'errored') &&
      (!expectNotification || received.length)
    )
      return { ...locator, status: state.status };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the run did not end');
}

function payloadOf(request: Received) {
  return RunNotificationPayloadSchema.parse(JSON.parse(request.body.toString('utf8')));
}

describe('local Terraform runner: run notifications', () => {
  it('POSTs a signed run:completed notification when a run is applied', async () => {
    const t = tenant();
    const { runner, warnings } = backend();
    const run = await runToEnd(runner, t);
    expect(run.status).toBe('applied');

    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.path).toBe(RUN_NOTIFICATION_PATH);
    expect(verifySignature(request.body, request.signature, TOKEN)).toBe(true);
    const payload = payloadOf(request);
    expect(payload).toMatchObject({
      payload_version: 1,
      notification_configuration_id: LOCAL_NOTIFICATION_CONFIGURATION_ID,
      run_id: run.runId,
      run_url: `http://127.0.0.1:4000/tenants/${t.tenantCode}/runs/${run.runId}/log`,
      workspace_name: workspaceName(ENVIRONMENT, t.tenantCode),
      notifications: [{ trigger: 'run:completed', run_status: 'applied', message: 'Run Applied' }],
    });
    expect(runEndOf(payload, '2026-12-02T10:05:00.000Z')).toMatchObject({
      runId: run.runId,
      outcome: 'succeeded',
    });
    expect(warnings).toEqual([]);
  });

  it('POSTs run:errored when a run fails', async () => {
    const { runner } = backend({ terraformBinary: await failingTerraform() });
    const run = await runToEnd(runner, tenant());
    expect(run.status).toBe('errored');
    const payload = payloadOf(received[0] as Received);
    expect(payload.notifications).toEqual([
      expect.objectContaining({ trigger: 'run:errored', run_status: 'errored', message: 'Run Errored' }),
    ]);
    expect(runEndOf(payload, '2026-12-02T10:05:00.000Z')).toMatchObject({ outcome: 'failed' });
  });

  it('never fails the run when the receiver is down or refuses: a warning without the token', async () => {
    const down = backend({
      terraformBinary: await failingTerraform(),
      notifications: { url: () => 'http://127.0.0.1:1/tfc/notifications?key=secret', token: TOKEN },
    });
    const run = await runToEnd(down.runner, tenant(), false);
    // The run ends first, then its notification is attempted: wait for the warning.
    for (let i = 0; i < 200 && down.warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(run.status).toBe('errored');
    expect(down.warnings).toEqual([
      expect.stringMatching(
        /^run notification of run-[0-9a-f]{16} to http:\/\/127\.0\.0\.1:1\/tfc\/notifications failed: /,
      ),
    ]);
    expect(down.warnings.join('\n')).not.toContain(TOKEN);
    expect(down.warnings.join('\n')).not.toContain('secret');

    answerStatus = 401;
    const refused = backend({ terraformBinary: await failingTerraform() });
    await runToEnd(refused.runner, tenant());
    for (let i = 0; i < 200 && refused.warnings.length === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(refused.warnings).toEqual([expect.stringContaining('was answered 401')]);
  });

  it('sends nothing without notifications, or while the URL is not known yet', async () => {
    const off = backend({ terraformBinary: await failingTerraform(), notifications: null });
    await runToEnd(off.runner, tenant(), false);
    const unknown = backend({
      terraformBinary: await failingTerraform(),
      notifications: { url: () => undefined, token: TOKEN },
    });
    await runToEnd(unknown.runner, tenant(), false);
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toEqual([]);
    expect([...off.warnings, ...unknown.warnings]).toEqual([]);
  });
});
