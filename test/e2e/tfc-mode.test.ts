import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startLocal, waitForTerminal, type LocalProcess } from '../support/local-process';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from '../support/tfc-fake/server';

/** The same local control plane, pointed at Terraform Cloud by configuration only (here: the TFC fake). */
let fake: TfcFake;
let plane: LocalProcess;
let dataDir: string;
let webhook: Server;
const received: Array<{ event: string; tenantCode: string }> = [];

beforeAll(async () => {
  fake = await startTfcFake({
    organization: 'platform',
    token: 'team-token-e2e',
    ...FAST_TIMINGS,
    // Trigger still lists runs on every call: not limited per minute here.
    runsListRateLimitPerMinute: Infinity,
    runDurationMs: 200,
    outputs: (name) => [
      { name: 'bucket_name', value: `${name}-bucket` },
      { name: 'db_password', value: 'never-stored', sensitive: true },
    ],
  });
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as { event: string; tenantCode: string });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  dataDir = await mkdtemp(join(tmpdir(), 'tcp-e2e-tfc-'));
  plane = await startLocal({
    LOCAL_DATA_DIR: dataDir,
    LOCAL_WAIT_SECONDS: '0.2',
    TFC_ADDRESS: fake.url,
    TFC_TOKEN: fake.token,
    TFC_ORGANIZATION: fake.organization,
    WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks/tenants`,
  });
});

afterAll(async () => {
  await plane?.interrupt();
  await fake?.close();
  await new Promise((resolve) => webhook?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('local control plane with Terraform Cloud', () => {
  it('says which backend it uses', () => {
    expect(plane.output()).toContain(`Terraform Cloud at ${fake.url} (organization platform)`);
  });

  it('provisions through the TFC API and posts lifecycle events to the webhook', async () => {
    expect((await http(plane.url, 'POST', '/tenants', { tenantCode: 'tfc-mode' })).status).toBe(202);

    const tenant = await waitForTerminal(plane.url, 'tfc-mode');

    expect(tenant).toMatchObject({
      status: 'ready',
      outputs: { bucket_name: 'tenant-local-tfc-mode-bucket', db_password: '(sensitive)' },
    });
    expect(fake.workspace('tenant-local-tfc-mode')).toBeDefined();
    expect(fake.countBy('POST /api/v2/runs')).toBe(1);
    expect(plane.output()).not.toContain('never-stored');
    expect(plane.output()).not.toContain('team-token-e2e');
    const deadline = Date.now() + 5000;
    while (!received.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual([expect.objectContaining({ event: 'TenantReady', tenantCode: 'tfc-mode' })]);
  });

  it('shows that a tenant retries while TFC is unreachable, and why; tenantctl get prints it', async () => {
    await fake.goOffline();
    try {
      expect((await http(plane.url, 'POST', '/tenants', { tenantCode: 'tfc-outage' })).status).toBe(202);
      const deadline = Date.now() + 30_000;
      let answer = await http(plane.url, 'GET', '/tenants/tfc-outage');
      while (answer.body.retrying === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        answer = await http(plane.url, 'GET', '/tenants/tfc-outage');
      }
      const reason = `connection refused (ECONNREFUSED) at 127.0.0.1:${fake.port}`;
      expect(answer.body).toMatchObject({ status: 'creating', retrying: { reason, maxAttempts: 5 } });

      const got = await tenantctl(['get', 'tfc-outage']);
      expect(got.stdout).toMatch(
        new RegExp(`^ {2}retrying {6}${reason.replace(/[().]/g, '\\$&')}, attempt \\d of 5`, 'm'),
      );
    } finally {
      await fake.goOnline();
    }

    const tenant = await waitForTerminal(plane.url, 'tfc-outage');
    expect(tenant).toMatchObject({ status: 'ready', retrying: null, lastError: null });
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
