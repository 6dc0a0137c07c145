import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RolloutView } from '../../lambdas/core/rollout';
import { http, startLocal, waitForTerminal, type LocalProcess } from '../support/local-process';

const ROOT = resolve(__dirname, '../..');
const MODULE = join(ROOT, 'terraform-module/local');

type Json = Record<string, unknown>;

/** 30 tenants, ordered by code: the first three are the canary of a rollout over all of them. */
const CODES = Array.from({ length: 30 }, (_, i) => `roll-${String(i + 1).padStart(2, '0')}`);
const FAILING = CODES[1] as string;

/** Each step's bound: on 2 cores shared with other suites a terraform apply can take tens of seconds. */
const STEP_TIMEOUT_MS = 420_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tenantctl(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'tenantctl.js'), ...args, '--endpoint', url],
      { timeout: 400_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function rollout(url: string, id: string): Promise<RolloutView> {
  const res = await http(url, 'GET', `/rollouts/${id}`);
  expect(res.status).toBe(200);
  return res.body as RolloutView;
}

/** Polls a rollout until `done` holds for it. */
async function rolloutUntil(
  url: string,
  id: string,
  done: (r: RolloutView) => boolean,
  timeoutMs = 240_000,
): Promise<RolloutView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rollout(url, id);
    if (done(r)) return r;
    if (Date.now() > deadline) {
      const updating = (await http(url, 'GET', '/tenants?status=updating&limit=100')).body.items as Json[];
      const states = updating.map((t) => `${String(t.tenantCode)} (${String(t.requestedBy)})`).join(', ');
      throw new Error(`rollout ${id} did not get there: ${JSON.stringify(r)}; updating: ${states}`);
    }
    await sleep(100);
  }
}

async function tenants(url: string, codes: readonly string[]): Promise<Json[]> {
  return Promise.all(codes.map(async (code) => (await http(url, 'GET', `/tenants/${code}`)).body));
}

async function settled(url: string, codes: readonly string[]): Promise<Json[]> {
  const all: Json[] = [];
  for (const code of codes) all.push(await waitForTerminal(url, code, 120_000));
  return all;
}

/** The lifecycle events the control plane printed, one JSON line each. */
function lifecycleEvents(plane: LocalProcess): Json[] {
  return plane
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{"lifecycleEvent"'))
    .map((line) => (JSON.parse(line) as { lifecycleEvent: Json }).lifecycleEvent);
}

async function changeModule(moduleDir: string, marker: string): Promise<void> {
  await appendFile(
    join(moduleDir, 'outputs.tf'),
    `\noutput "rollout_marker_${marker}" {\n  value = "${marker}"\n}\n`,
  );
}

describe('fleet rollouts on the local control plane', () => {
  let dir: string;
  let moduleDir: string;
  let env: Record<string, string>;
  let plane: LocalProcess | undefined;

  const url = () => {
    if (!plane) throw new Error('the control plane is not running');
    return plane.url;
  };
  const restart = async () => {
    await plane?.interrupt();
    plane = undefined;
    plane = await startLocal(env);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcp-e2e-rollout-'));
    moduleDir = join(dir, 'module');
    await cp(MODULE, moduleDir, { recursive: true });
    env = { LOCAL_DATA_DIR: join(dir, 'state'), LOCAL_WAIT_SECONDS: '0.2', TF_MODULE_DIR: moduleDir };
    plane = await startLocal(env);
  }, STEP_TIMEOUT_MS);
  afterAll(async () => {
    await plane?.interrupt();
    await rm(dir, { recursive: true, force: true });
  });

  let v1: string;
  let v2: string;
  let v3: string;
  let firstRollout: string;

  it(
    '30 tenants ready; the canary tenant fails its apply; a changed module leaves all 30 behind',
    async () => {
      for (const tenantCode of CODES) {
        expect((await http(url(), 'POST', '/tenants', { tenantCode })).status).toBe(202);
      }
      expect((await settled(url(), CODES)).map((t) => t.status)).toEqual(CODES.map(() => 'ready'));
      v1 = (await http(url(), 'GET', '/fleet')).body.currentModuleVersion as string;

      const patched = await http(url(), 'PATCH', `/tenants/${FAILING}`, { variables: { fail: 'true' } });
      expect(patched.status).toBe(202);
      expect(await waitForTerminal(url(), FAILING)).toMatchObject({ status: 'failed', moduleVersion: v1 });

      await changeModule(moduleDir, 'v2');
      await restart();
      const fleet = (await http(url(), 'GET', '/fleet')).body;
      v2 = fleet.currentModuleVersion as string;
      expect(v2).not.toBe(v1);
      expect(fleet).toMatchObject({ total: 30, behind: 30, byModuleVersion: { [v1]: 30 } });
      expect(fleet.byStatus).toMatchObject({ ready: 29, failed: 1 });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'a rollout (maxConcurrent 5, canary 3) halts on the canary failure, the other 27 untouched',
    async () => {
      const started = await tenantctl(url(), [
        'rollout',
        'start',
        '--max-concurrent',
        '5',
        '--canary',
        '3',
        '--json',
      ]);
      expect(started).toMatchObject({ code: 0 });
      const view = JSON.parse(started.stdout) as RolloutView;
      expect(view).toMatchObject({ status: 'running', moduleVersion: v2, maxConcurrent: 5, canary: 3 });
      expect(view.counts).toMatchObject({ total: 30, pending: 30 });
      firstRollout = view.rolloutId;

      // --wait exits 1 on a halt, the rollout printed as JSON.
      const waited = await tenantctl(url(), [
        'rollout',
        'status',
        firstRollout,
        '--wait',
        '--json',
        '--interval',
        '0.2',
      ]);
      expect(waited.code).toBe(1);
      const halted = JSON.parse(waited.stdout) as RolloutView;
      expect(halted.status).toBe('halted');
      expect(halted.haltReason).toContain(`canary tenant '${FAILING}' failed`);
      expect(halted.counts).toMatchObject({ total: 30, inProgress: 0, failed: 1, succeeded: 2, pending: 27 });
      expect(halted.failures).toEqual([expect.objectContaining({ tenantCode: FAILING })]);

      const rest = await tenants(url(), CODES.slice(3));
      for (const t of rest) {
        expect(t.status).toBe('ready');
        expect(t.moduleVersion).toBe(v1);
        expect(t.requestedBy).not.toBe(`rollout:${firstRollout}`);
        expect(t.outputs).not.toHaveProperty('rollout_marker_v2');
      }
      const [canaryA, failing, canaryC] = await tenants(url(), CODES.slice(0, 3));
      expect(failing).toMatchObject({ status: 'failed', moduleVersion: v1 });
      for (const t of [canaryA, canaryC]) {
        expect(t).toMatchObject({
          status: 'ready',
          moduleVersion: v2,
          requestedBy: `rollout:${firstRollout}`,
          outputs: expect.objectContaining({ rollout_marker_v2: 'v2' }) as unknown,
        });
      }

      const events = lifecycleEvents(plane as LocalProcess).filter((e) => e.rolloutId === firstRollout);
      expect(events.map((e) => e.event)).toEqual(['RolloutStarted', 'RolloutHalted']);
      expect(events[1]).toMatchObject({
        status: 'halted',
        reason: expect.stringContaining(FAILING) as unknown,
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'after the fix, resume completes it: all 30 on the new version, never more than 5 updating at once',
    async () => {
      const fixed = await http(url(), 'PATCH', `/tenants/${FAILING}`, { variables: { fail: 'false' } });
      expect(fixed.status).toBe(202);
      expect(await waitForTerminal(url(), FAILING)).toMatchObject({ status: 'ready', moduleVersion: v2 });

      const resumed = await http(url(), 'POST', `/rollouts/${firstRollout}/resume`);
      expect(resumed.status).toBe(202);
      expect(resumed.body.status).toBe('running');

      // Sample what is updating while the CLI waits for the end.
      const waiting = tenantctl(url(), [
        'rollout',
        'status',
        firstRollout,
        '--wait',
        '--json',
        '--interval',
        '0.2',
      ]);
      let ended = false;
      void waiting.then(() => (ended = true));
      let samples = 0;
      let peakUpdating = 0;
      let peakInProgress = 0;
      while (!ended) {
        const [updating, current] = await Promise.all([
          http(url(), 'GET', '/tenants?status=updating&limit=100'),
          rollout(url(), firstRollout),
        ]);
        peakUpdating = Math.max(peakUpdating, (updating.body.items as unknown[]).length);
        peakInProgress = Math.max(peakInProgress, current.counts.inProgress);
        samples++;
        await sleep(150);
      }
      const done = await waiting;
      expect(done.code).toBe(0);
      const completed = JSON.parse(done.stdout) as RolloutView;
      expect(completed.status).toBe('completed');
      expect(completed.endedAt).not.toBeNull();
      // The two canary tenants that succeeded stay succeeded; the fixed one is already on the version.
      expect(completed.counts).toMatchObject({
        total: 30,
        pending: 0,
        inProgress: 0,
        failed: 0,
        succeeded: 29,
        skipped: 1,
      });
      expect(completed.skipped).toEqual([
        expect.objectContaining({ tenantCode: FAILING, reason: `already on ${v2}` }),
      ]);
      expect(samples).toBeGreaterThan(10);
      expect(peakUpdating).toBeGreaterThan(1);
      expect(peakUpdating).toBeLessThanOrEqual(5);
      expect(peakInProgress).toBeLessThanOrEqual(5);

      for (const t of await tenants(url(), CODES)) {
        expect(t).toMatchObject({
          status: 'ready',
          moduleVersion: v2,
          outputs: expect.objectContaining({ rollout_marker_v2: 'v2' }) as unknown,
        });
      }
      const fleet = (await http(url(), 'GET', '/fleet')).body;
      expect(fleet).toMatchObject({ behind: 0, byModuleVersion: { [v2]: 30 } });
      const events = lifecycleEvents(plane as LocalProcess).filter((e) => e.rolloutId === firstRollout);
      expect(events.map((e) => e.event)).toEqual([
        'RolloutStarted',
        'RolloutHalted',
        'RolloutStarted',
        'RolloutCompleted',
      ]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'on a third version: pause holds within one wave; a restart of npm start mid-rollout goes on to the end',
    async () => {
      await changeModule(moduleDir, 'v3');
      await restart();
      v3 = (await http(url(), 'GET', '/fleet')).body.currentModuleVersion as string;
      expect(v3).not.toBe(v2);

      // Pause right after the start: the first wave (2) finishes, nothing else starts.
      const paused = CODES.slice(0, 8);
      const created = await http(url(), 'POST', '/rollouts', {
        selector: { tenantCodes: paused },
        maxConcurrent: 2,
        canary: 0,
      });
      expect(created.status).toBe(202);
      const id = created.body.rolloutId as string;
      const pause = await http(url(), 'POST', `/rollouts/${id}/pause`);
      expect(pause).toMatchObject({ status: 202, body: { status: 'paused' } });
      // --wait settles on a pause once nothing is in flight, and exits 0.
      const waited = await tenantctl(url(), [
        'rollout',
        'status',
        id,
        '--wait',
        '--json',
        '--interval',
        '0.2',
      ]);
      expect(waited.code).toBe(0);
      const held = JSON.parse(waited.stdout) as RolloutView;
      expect(held).toMatchObject({ status: 'paused', counts: { inProgress: 0 } });
      await sleep(1000);
      const stillHeld = await rollout(url(), id);
      expect(stillHeld.counts).toEqual(held.counts);
      const startedWhilePaused = held.counts.succeeded + held.counts.failed;
      expect(startedWhilePaused).toBeLessThanOrEqual(2);
      expect(held.counts.pending).toBe(8 - startedWhilePaused);
      const touched = (await tenants(url(), paused)).filter((t) => t.requestedBy === `rollout:${id}`);
      expect(touched.length).toBe(startedWhilePaused);
      for (const t of touched) expect(t).toMatchObject({ status: 'ready', moduleVersion: v3 });

      // Resume, then stop the control plane mid-rollout and start it again: the rollout goes on.
      expect((await http(url(), 'POST', `/rollouts/${id}/resume`)).status).toBe(202);
      await rolloutUntil(
        url(),
        id,
        (r) => r.counts.succeeded >= startedWhilePaused + 2 && r.counts.inProgress > 0,
      );
      await restart();
      const after = await rolloutUntil(url(), id, (r) => r.status !== 'running');
      expect(after).toMatchObject({ status: 'completed', counts: { total: 8, succeeded: 8, pending: 0 } });
      expect(after.endedAt).not.toBeNull();
      for (const t of await tenants(url(), paused)) {
        expect(t).toMatchObject({
          status: 'ready',
          moduleVersion: v3,
          requestedBy: `rollout:${id}`,
          outputs: expect.objectContaining({ rollout_marker_v3: 'v3' }) as unknown,
        });
      }
      expect(plane?.output()).toMatch(/resumed .* 1 rollout\(s\) from the last run/);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'cancel mid-way: the pending tenants are skipped, every selected tenant ends ready or failed',
    async () => {
      const canceled = CODES.slice(10, 18);
      const second = await http(url(), 'POST', '/rollouts', {
        selector: { tenantCodes: canceled },
        maxConcurrent: 2,
        canary: 0,
      });
      expect(second.status).toBe(202);
      const secondId = second.body.rolloutId as string;
      await rolloutUntil(url(), secondId, (r) => r.counts.succeeded >= 2 && r.counts.inProgress > 0);
      const cancel = await http(url(), 'POST', `/rollouts/${secondId}/cancel`);
      expect(cancel.status).toBe(202);
      expect(cancel.body.status).toBe('canceled');
      const ended = await rolloutUntil(url(), secondId, (r) => r.endedAt !== null);
      expect(ended.status).toBe('canceled');
      expect(ended.counts.inProgress).toBe(0);
      expect(ended.counts.pending).toBe(0);
      expect(ended.counts.skipped).toBeGreaterThan(0);
      expect(ended.counts.succeeded + ended.counts.skipped + ended.counts.failed).toBe(8);
      const final = await tenants(url(), canceled);
      for (const t of final) expect(['ready', 'failed']).toContain(t.status);
      const applied = final.filter((t) => t.moduleVersion === v3);
      expect(applied.length).toBe(ended.counts.succeeded);
      const notApplied = final.filter((t) => t.moduleVersion !== v3);
      expect(notApplied.map((t) => t.requestedBy)).not.toContain(`rollout:${secondId}`);
    },
    STEP_TIMEOUT_MS,
  );
});
