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
    const workspace = join(dataDir, 'workspaces', 'ws-local-e2e-alpha');
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
  });
});

describe('restart in the middle of a flow', () => {
  it('the tenant still reaches a terminal status after Ctrl-C and a new start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tcp-e2e-restart-'));
    try {
      const first = await startLocal({ LOCAL_DATA_DIR: dir, LOCAL_WAIT_SECONDS: '3' });
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
