/**
 * `npm start` is event-driven too: with the local Terraform CLI (whose runner notifies its own receiver
 * route) and with Terraform Cloud (here the TFC fake, which notifies as TFC does), a create is ready
 * within 2 s of its run's end, while the flows' polling fallback is a minute away.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTenantCode } from '../../lambdas/core/tenant-code';
import { workspaceName } from '../../lambdas/core/workspace';
import { http, startLocal, waitForTerminal } from '../support/local-process';
import { FAST_TIMINGS, startTfcFake } from '../support/tfc-fake/server';

/** The flows' Wait: a tenant ready sooner than this was woken by its run's notification. */
const FALLBACK_WAIT_SECONDS = '60';
const MAX_LAG_MS = 2_000;

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tcp-e2e-events-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

it('with the local Terraform CLI: ready within 2 s of the run, not at the next poll', async () => {
  const plane = await startLocal({ LOCAL_DATA_DIR: dataDir, LOCAL_WAIT_SECONDS: FALLBACK_WAIT_SECONDS });
  try {
    expect((await http(plane.url, 'POST', '/tenants', { tenantCode: 'e2e-event' })).status).toBe(202);
    const tenant = await waitForTerminal(plane.url, 'e2e-event', 30_000);

    expect(tenant.status).toBe('ready');
    const runId = (tenant.run as { id: string }).id;
    const run = JSON.parse(
      await readFile(
        join(
          dataDir,
          'workspaces',
          workspaceName('local', parseTenantCode('e2e-event')),
          'runs',
          `${runId}.json`,
        ),
        'utf8',
      ),
    ) as { status: string; finishedAt: string };
    expect(run.status).toBe('applied');
    const lag = Date.parse(String(tenant.updatedAt)) - Date.parse(run.finishedAt);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(MAX_LAG_MS);
  } finally {
    await plane.interrupt();
  }
});

it('with Terraform Cloud (the fake): ready within 2 s of the run, not at the next poll', async () => {
  const fake = await startTfcFake({
    organization: 'platform',
    token: 'team-token-events',
    ...FAST_TIMINGS,
    runDurationMs: 1_500,
    outputs: (name) => [{ name: 'bucket_name', value: `${name}-bucket` }],
  });
  const plane = await startLocal({
    LOCAL_DATA_DIR: dataDir,
    LOCAL_WAIT_SECONDS: FALLBACK_WAIT_SECONDS,
    TFC_ADDRESS: fake.url,
    TFC_TOKEN: fake.token,
    TFC_ORGANIZATION: fake.organization,
  });
  try {
    expect((await http(plane.url, 'POST', '/tenants', { tenantCode: 'e2e-event-tfc' })).status).toBe(202);
    const tenant = await waitForTerminal(plane.url, 'e2e-event-tfc', 30_000);

    expect(tenant.status).toBe('ready');
    const run = fake.runs.find((r) => r.id === (tenant.run as { id: string }).id);
    expect(run?.status).toBe('applied');
    const lag = Date.parse(String(tenant.updatedAt)) - (run?.finishedAt ?? Number.NaN);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(MAX_LAG_MS);
    expect(fake.notificationDeliveries.filter((d) => d.trigger === 'run:completed')).toEqual([
      expect.objectContaining({ status: 200 }),
    ]);
  } finally {
    await plane.interrupt();
    await fake.close();
  }
});
