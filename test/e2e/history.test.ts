import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { HistoryItem } from '../../lambdas/core/history';
import { http, startLocal, waitForTerminal, type LocalProcess } from '../support/local-process';

let dataDir: string;
let plane: LocalProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tcp-e2e-history-'));
  plane = await startLocal({ LOCAL_DATA_DIR: dataDir, LOCAL_WAIT_SECONDS: '0.2' });
});
afterAll(async () => {
  await plane?.interrupt();
  await rm(dataDir, { recursive: true, force: true });
});

/** Every page of a tenant's history, followed through nextToken, newest first. */
async function fullHistory(code: string): Promise<HistoryItem[]> {
  const items: HistoryItem[] = [];
  let token: string | undefined;
  do {
    const query = `?limit=4${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
    const page = await http(plane.url, 'GET', `/tenants/${code}/history${query}`);
    expect(page.status).toBe(200);
    items.push(...(page.body.items as HistoryItem[]));
    token = page.body.nextToken as string | undefined;
  } while (token);
  return items;
}

describe('tenant history on the local control plane', () => {
  it('create, failed update, retry and delete: each request with its caller, each run with its status, in order', async () => {
    const code = 'e2e-history';
    expect((await http(plane.url, 'POST', '/tenants', { tenantCode: code })).status).toBe(202);
    expect((await waitForTerminal(plane.url, code)).status).toBe('ready');
    // The local module fails on `fail=true`, like a Terraform error in a real module.
    expect((await http(plane.url, 'PATCH', `/tenants/${code}`, { variables: { fail: 'true' } })).status).toBe(
      202,
    );
    const failed = await waitForTerminal(plane.url, code);
    expect(failed.status).toBe('failed');
    expect((await http(plane.url, 'PATCH', `/tenants/${code}`, { variables: {} })).status).toBe(202);
    expect((await waitForTerminal(plane.url, code)).status).toBe('ready');
    expect((await http(plane.url, 'DELETE', `/tenants/${code}`)).status).toBe(202);
    expect((await waitForTerminal(plane.url, code)).status).toBe('deleted');

    const oldestFirst = (await fullHistory(code)).reverse();

    expect(oldestFirst.map((i) => i.at)).toEqual([...oldestFirst.map((i) => i.at)].sort());
    const requests = oldestFirst.filter((i) => i.kind === 'request');
    expect(requests).toEqual([
      expect.objectContaining({ action: 'create', requestedBy: 'api:local' }),
      expect.objectContaining({
        action: 'update',
        requestedBy: 'api:local',
        changes: { variables: { added: ['fail'], changed: [], removed: [] } },
      }),
      expect.objectContaining({
        action: 'update',
        requestedBy: 'api:local',
        changes: { variables: { added: [], changed: [], removed: ['fail'] } },
      }),
      expect.objectContaining({ action: 'delete', requestedBy: 'api:local' }),
    ]);
    const runs = oldestFirst.filter((i) => i.kind === 'run');
    expect(runs.map((r) => r.status)).toEqual([
      'pending',
      'applied',
      'pending',
      'errored',
      'pending',
      'applied',
      'pending',
      'applied',
    ]);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(4);
    expect(oldestFirst.filter((i) => i.kind === 'status').map((s) => `${s.from ?? ''}>${s.to}`)).toEqual([
      '>creating',
      'creating>ready',
      'ready>updating',
      'updating>failed',
      'failed>updating',
      'updating>ready',
      'ready>deleting',
      'deleting>deleted',
    ]);
    expect(oldestFirst.find((i) => i.kind === 'status' && i.to === 'failed')).toMatchObject({
      reason: expect.stringMatching(/^RunFailed: .*Error:/) as unknown,
    });

    // Each run links to its full Terraform output on this server.
    const erroredRun = runs.find((r) => r.status === 'errored');
    expect(erroredRun?.link).toBe(`${plane.url}/tenants/${code}/runs/${erroredRun?.runId}/log`);
    const log = await request(erroredRun?.link ?? '');
    expect(log.statusCode).toBe(200);
    expect(log.headers['content-type']).toMatch(/^text\/plain/);
    const text = await log.body.text();
    expect(text).toContain('$ terraform apply');
    expect(text).toContain('Error:');
  });

  it('a tenant answer links to its current run', async () => {
    const code = 'e2e-history-link';
    await http(plane.url, 'POST', '/tenants', { tenantCode: code });
    const ready = await waitForTerminal(plane.url, code);

    const run = ready.run as { id: string; status: string; link: string };
    expect(run).toEqual({
      id: expect.stringMatching(/^run-/) as unknown,
      status: 'applied',
      link: `${plane.url}/tenants/${code}/runs/${run.id}/log`,
    });
    expect((await request(run.link)).statusCode).toBe(200);
  });

  it('404 for a code that never existed, for an unknown run log; 400 for a bad query', async () => {
    expect((await http(plane.url, 'GET', '/tenants/never-was/history')).status).toBe(404);
    expect((await http(plane.url, 'GET', '/tenants/never-was/runs/run-0000000000000000/log')).status).toBe(
      404,
    );
    expect((await http(plane.url, 'GET', '/tenants/never-was/runs/..%2F..%2Fetc/log')).status).toBe(404);
    const bad = await http(plane.url, 'GET', '/tenants/e2e-history-link/history?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await http(plane.url, 'GET', '/tenants/e2e-history-link/history?nextToken=bogus')).status).toBe(
      400,
    );
  });

  it('serves the OpenAPI document', async () => {
    const doc = await http(plane.url, 'GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body).toMatchObject({ openapi: '3.1.0' });
    expect(Object.keys(doc.body.paths as object)).toContain('/tenants/{code}/history');
  });
});
