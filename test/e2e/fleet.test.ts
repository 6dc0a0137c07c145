import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { http, startLocal, waitForTerminal } from '../support/local-process';

const MODULE = resolve(__dirname, '../../terraform-module/local');

describe('module versions on the local control plane', () => {
  it('a changed module is the current version after a restart: every tenant is behind, none touched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tcp-e2e-fleet-'));
    const moduleDir = join(dir, 'module');
    await cp(MODULE, moduleDir, { recursive: true });
    const env = { LOCAL_DATA_DIR: join(dir, 'state'), LOCAL_WAIT_SECONDS: '0.2', TF_MODULE_DIR: moduleDir };
    try {
      const first = await startLocal(env);
      let before: Record<string, unknown>;
      let tenants: Record<string, unknown>[];
      try {
        const banner = /module\s+version (\S+)/.exec(first.output())?.[1];
        for (const code of ['fleet-a', 'fleet-b']) {
          expect((await http(first.url, 'POST', '/tenants', { tenantCode: code })).status).toBe(202);
        }
        tenants = [await waitForTerminal(first.url, 'fleet-a'), await waitForTerminal(first.url, 'fleet-b')];
        before = (await http(first.url, 'GET', '/fleet')).body;
        expect(before).toEqual({
          currentModuleVersion: banner,
          total: 2,
          byStatus: { creating: 0, updating: 0, deleting: 0, ready: 2, failed: 0, deleted: 0 },
          byModuleVersion: { [banner as string]: 2 },
          behind: 0,
        });
        for (const t of tenants) expect(t.moduleVersion).toBe(banner);

        const listed = await http(first.url, 'GET', `/tenants?moduleVersion=${banner}&status=ready`);
        expect((listed.body.items as { tenantCode: string }[]).map((t) => t.tenantCode).sort()).toEqual([
          'fleet-a',
          'fleet-b',
        ]);
        const other = await http(first.url, 'GET', '/tenants?moduleVersion=000000000000');
        expect(other.body.items).toEqual([]);
        // Bad input: a malformed version, an unknown parameter.
        const bad = await http(first.url, 'GET', '/tenants?moduleVersion=not-a-version');
        expect(bad.status).toBe(400);
        expect(JSON.stringify(bad.body)).toContain('moduleVersion');
        expect((await http(first.url, 'GET', '/fleet?status=ready')).status).toBe(400);
      } finally {
        await first.interrupt();
      }

      // The module changes; no tenant is updated.
      await appendFile(join(moduleDir, 'main.tf'), '\n# a change to the module\n');
      const second = await startLocal(env);
      try {
        const after = (await http(second.url, 'GET', '/fleet')).body;
        expect(after.currentModuleVersion).not.toBe(before.currentModuleVersion);
        expect(second.output()).toContain(`version ${String(after.currentModuleVersion)}`);
        expect(after).toMatchObject({
          total: 2,
          byModuleVersion: { [before.currentModuleVersion as string]: 2 },
          behind: 2,
        });
        for (const t of tenants) {
          const now = (await http(second.url, 'GET', `/tenants/${String(t.tenantCode)}`)).body;
          expect(now).toMatchObject({ status: 'ready', version: t.version, moduleVersion: t.moduleVersion });
        }
      } finally {
        await second.interrupt();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
