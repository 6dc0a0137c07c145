import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startLocal, waitForTerminal, type LocalProcess } from '../support/local-process';

let dataDir: string;
let plane: LocalProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tcp-e2e-'));
  plane = await startLocal({ LOCAL_DATA_DIR: dataDir, LOCAL_WAIT_SECONDS: '0.2' });
});
afterAll(async () => {
  await plane?.interrupt();
  await rm(dataDir, { recursive: true, force: true });
});

describe('local control plane over HTTP', () => {
  it('create → ready with outputs, update → new outputs, delete → deleted with state destroyed', async () => {
    const created = await http(plane.url, 'POST', '/tenants', { tenantCode: 'e2e-alpha', tier: 'small' });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('creating');

    const ready = await waitForTerminal(plane.url, 'e2e-alpha');
    expect(ready.status).toBe('ready');
    expect(ready.outputs).toMatchObject({ bucket_name: expect.stringContaining('e2e-alpha') as unknown });
    const workspace = join(dataDir, 'workspaces', 'tenant-local-e2e-alpha');
    expect(existsSync(join(workspace, 'terraform.tfstate'))).toBe(true);

    const updated = await http(plane.url, 'PATCH', '/tenants/e2e-alpha', { tier: 'large' });
    expect(updated.status).toBe(202);
    const afterUpdate = await waitForTerminal(plane.url, 'e2e-alpha');
    expect(afterUpdate).toMatchObject({ status: 'ready', tier: 'large' });
    expect(afterUpdate.version as number).toBeGreaterThan(ready.version as number);

    const deleting = await http(plane.url, 'DELETE', '/tenants/e2e-alpha');
    expect(deleting.status).toBe(202);
    const deleted = await waitForTerminal(plane.url, 'e2e-alpha');
    expect(deleted.status).toBe('deleted');
    expect(existsSync(workspace)).toBe(false);
    expect(plane.output()).toContain('"event":"TenantDeleted"');
    // Each local run's end was notified to the receiver route, signed with this process's token.
    expect(plane.output()).toMatch(/POST \/tfc\/notifications 200 \d+ms/);
    expect(plane.output()).not.toContain('run notification of');
  });

  it('a module that fails → failed with the Terraform error, then retried by delete', async () => {
    await http(plane.url, 'POST', '/tenants', { tenantCode: 'e2e-broken', variables: { fail: 'true' } });

    const failed = await waitForTerminal(plane.url, 'e2e-broken');

    expect(failed.status).toBe('failed');
    const lastError = failed.lastError as { code: string; message: string };
    expect(lastError.code).toBe('RunFailed');
    expect(lastError.message).toMatch(/Error:/);
    expect(plane.output()).toContain('"event":"TenantFailed"');

    expect((await http(plane.url, 'DELETE', '/tenants/e2e-broken')).status).toBe(202);
    expect((await waitForTerminal(plane.url, 'e2e-broken')).status).toBe('deleted');
  });

  it('answers the same errors as the deployed API', async () => {
    const bad = await http(plane.url, 'POST', '/tenants', { tenantCode: 'NO' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await http(plane.url, 'GET', '/tenants/nobody-home')).status).toBe(404);
    expect((await http(plane.url, 'GET', '/nowhere')).status).toBe(404);
    // The receiver route is always served, and refuses what TFC did not sign.
    const unsigned = await http(plane.url, 'POST', '/tfc/notifications', { payload_version: 1 });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error).toMatchObject({ code: 'MISSING_SIGNATURE' });
  });
});

function tenantctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(__dirname, '..', '..', 'bin', 'tenantctl.js'), ...args, '--endpoint', plane.url],
      { timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('tenantctl against the local control plane', () => {
  it('create --wait reaches ready and shows the outputs; --json prints the tenant', async () => {
    const created = await tenantctl(['create', 'e2e-cli', '--var', 'notebook_port=8888', '--wait']);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('ready');
    expect(created.stdout).toContain('notebook_url');

    const got = await tenantctl(['get', 'e2e-cli', '--json']);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      tenantCode: 'e2e-cli',
      status: 'ready',
      variables: { notebook_port: '8888' },
    });
  });

  it('a failing module exits 1 with the error; delete --yes --wait exits 0', async () => {
    const failed = await tenantctl(['create', 'e2e-cli-bad', '--var', 'fail=true', '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('RunFailed');

    const deleted = await tenantctl(['delete', 'e2e-cli-bad', '--yes', '--wait', '--json']);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ status: 'deleted' });
  });

  it('API errors exit 3 and usage errors exit 2, changing nothing', async () => {
    expect((await tenantctl(['create', 'e2e-cli'])).code).toBe(3);
    expect((await tenantctl(['create', 'BAD'])).code).toBe(2);
    expect((await tenantctl(['get', 'nobody-home'])).code).toBe(3);
  });
});

describe('restart in the middle of a flow', () => {
  it('the tenant still reaches a terminal status after Ctrl-C and a new start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tcp-e2e-restart-'));
    try {
      // Polling, so the flow is still waiting a second after its (quick) local run ended.
      const first = await startLocal({
        LOCAL_DATA_DIR: dir,
        LOCAL_WAIT_SECONDS: '3',
        TFC_NOTIFICATIONS: 'false',
      });
      expect((await http(first.url, 'POST', '/tenants', { tenantCode: 'e2e-restart' })).status).toBe(202);
      // Interrupt while the flow waits between checks.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await http(first.url, 'GET', '/tenants/e2e-restart')).body.status).toBe('creating');
      expect(await first.interrupt()).toBe(0);

      const second = await startLocal({ LOCAL_DATA_DIR: dir, LOCAL_WAIT_SECONDS: '0.2' });
      try {
        expect(second.output()).toMatch(/resumed\s+1 flow/);
        const tenant = await waitForTerminal(second.url, 'e2e-restart');
        expect(tenant.status).toBe('ready');
      } finally {
        await second.interrupt();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
