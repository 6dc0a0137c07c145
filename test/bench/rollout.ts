import { appendFile, cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { RolloutView } from '../../lambdas/core/rollout';
import type { TenantView } from '../../lambdas/core/tenant';
import type { FakeRunView } from '../support/tfc-fake/server';
import { renderBurstChart } from './chart';
import {
  Bench,
  codes,
  failureReasons,
  MODULE_DIR,
  RUNS_LIST,
  statusCounts,
  TFC_RATE_LIMIT,
  TFC_RUN_CAP,
  TFC_USER,
} from './onboarding';
import type { Figure, SectionResult, Table } from './report';
import type { Scope } from './scope';
import { distribution, mapLimit, round, since } from './stats';
import { peakExecuting, rolloutFloorSeconds, timeAverage, type RolloutSample } from './rollout-figures';
import { summarizeRequests } from './tfc-requests';

export interface RolloutBenchOptions {
  /** Tenants onboarded on the old module version, then rolled out. */
  tenants: number;
  /** The local Wait state's length; the rollout looks at its tenants as often (LOCAL_WAIT_SECONDS). */
  waitSeconds: number;
  /** How long each fake run takes from planning to applied. */
  runDurationMs: number;
  /** Concurrent task workers, each with its own TFC client and token, all of one TFC user. */
  workers: number;
  /** The rollout's `maxConcurrent`. */
  maxConcurrent: number;
  /** The rollout's `canary`. */
  canary: number;
  /** Give up on the onboarding, and on the rollout, after this long each. */
  timeoutSeconds: number;
  /** How often the rollout, the fleet and the fake are sampled while the rollout runs. */
  sampleMs: number;
  /** Where the rollout's SVG chart goes. */
  chartPath: string;
}

const SETTLED = new Set(['completed', 'canceled']);

async function json<T>(
  bench: Bench,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await request(new URL(path, bench.plane.url), {
    method: method as 'GET' | 'POST',
    dispatcher: bench.http,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

interface Fleet {
  currentModuleVersion: string;
  byStatus: Record<string, number>;
  behind: number;
}

/**
 * The rollout figure: `tenants` tenants onboarded through the local control plane against the TFC fake,
 * the module changed and the control plane restarted on the same data (every tenant behind), then one
 * rollout of the new version, sampled while it runs.
 */
export async function rolloutBench(options: RolloutBenchOptions, scope: Scope): Promise<SectionResult[]> {
  const n = options.tenants;
  const moduleDir = join(await scope.tempDir('module'), 'module');
  await cp(MODULE_DIR, moduleDir, { recursive: true });
  const bench = await Bench.start(options, scope, moduleDir);

  // 1. The fleet on the old version, as the onboarding figure makes it.
  // The set-up is not the figure: it gets twice the burst timeout, so a loaded machine does not end it.
  const onboarded = await bench.phase(codes('fleet', n), 0, options.timeoutSeconds * 2);
  const notReady =
    onboarded.tenants.filter((t) => t.status !== 'ready').length + (n - onboarded.tenants.length);
  if (!onboarded.drained || notReady > 0) {
    throw new Error(
      `the onboarding before the rollout left ${notReady} of ${n} tenants not ready: ${failureReasons(onboarded.tenants).slice(0, 3).join('; ')}`,
    );
  }
  const oldVersion = bench.plane.moduleVersion;

  // 2. A module change, and the control plane restarted on the same data dir: every tenant is behind.
  await appendFile(join(moduleDir, 'outputs.tf'), '\n# a change to the module: a new module version\n');
  await bench.restartPlane();
  const newVersion = bench.plane.moduleVersion;
  const fleetBefore = (await json<Fleet>(bench, 'GET', '/fleet')).body;
  if (newVersion === oldVersion || fleetBefore.behind !== n) {
    throw new Error(
      `after the module change: version ${oldVersion} -> ${newVersion}, ${fleetBefore.behind} of ${n} tenants behind`,
    );
  }

  // 3. One rollout, sampled until it settles.
  bench.fake.clearRequests();
  const lifecycleFrom = bench.lifecycle.length;
  const startedAtEpoch = Date.now();
  const startedAt = performance.now();
  const created = await json<RolloutView>(bench, 'POST', '/rollouts', {
    maxConcurrent: options.maxConcurrent,
    canary: options.canary,
  });
  const postMs = since(startedAt);
  if (created.status !== 202) {
    throw new Error(
      `POST /rollouts answered ${created.status}: ${JSON.stringify(created.body).slice(0, 300)}`,
    );
  }
  const rolloutId = created.body.rolloutId;
  const samples: RolloutSample[] = [];
  let view = created.body;
  const deadline = startedAt + options.timeoutSeconds * 1000;
  for (;;) {
    const [rollout, fleet] = await Promise.all([
      json<RolloutView>(bench, 'GET', `/rollouts/${rolloutId}`),
      json<Fleet>(bench, 'GET', '/fleet'),
    ]);
    view = rollout.body;
    samples.push({
      at: since(startedAt) / 1000,
      status: view.status,
      inProgress: view.counts.inProgress,
      succeeded: view.counts.succeeded,
      failed: view.counts.failed,
      updating: fleet.body.byStatus.updating ?? 0,
      executing: bench.fake.runsExecutingAt(),
    });
    const settled = SETTLED.has(view.status) || (view.status !== 'running' && view.counts.inProgress === 0);
    if (settled || performance.now() > deadline) break;
    await sleep(options.sampleMs);
  }
  const sampledEndMs = since(startedAt);
  const timedOut = !SETTLED.has(view.status) && view.status === 'running';
  // Flows the rollout started have all ended once it completed; a halted one may leave some running.
  await Promise.race([bench.plane.bus.drain(), sleep(30_000, undefined, { ref: false })]);

  const events = bench.lifecycle.slice(lifecycleFrom);
  const completedEvent = events.find((e) => e.tenantCode === rolloutId && e.event === 'RolloutCompleted');
  const completedMs = completedEvent ? completedEvent.receivedAt - startedAt : Number.NaN;
  const readyAt = events
    .filter((e) => e.tenantCode.startsWith('fleet-') && e.event === 'TenantReady')
    .map((e) => (e.receivedAt - startedAt) / 1000);
  const tenants = (await bench.listTenants()).filter((t) => t.tenantCode.startsWith('fleet-'));
  // When each tenant's update was requested: the rollout's PATCH, from the tenant's history.
  const requester = `rollout:${rolloutId}`;
  const requestedAt = new Map<string, number>();
  await mapLimit(tenants, 8, async (tenant) => {
    const history = await json<{ items: Array<{ kind: string; at: string; requestedBy?: string }> }>(
      bench,
      'GET',
      `/tenants/${tenant.tenantCode}/history?limit=20`,
    );
    const item = history.body.items.find((i) => i.kind === 'request' && i.requestedBy === requester);
    if (item) requestedAt.set(tenant.tenantCode, Date.parse(item.at));
  });
  const runs = bench.fake.runs.filter((r) => r.createdAt >= startedAtEpoch);
  const log = bench.fake.requests;
  const requests = summarizeRequests(log);
  const section = report(options, {
    rolloutId,
    view,
    oldVersion,
    newVersion,
    postMs,
    completedMs,
    sampledEndMs,
    timedOut,
    samples,
    readyAt,
    tenants,
    requestedAt,
    runs,
    startedAtEpoch,
    requests,
    runsListCalls: bench.fake.countBy(RUNS_LIST),
    userPeakPerSecond: bench.fake.peakRequestsPerSecond(TFC_USER),
    onboardingSeconds: onboarded.drainedAfterMs / 1000,
    warnings: bench.warnings,
  });
  const perSecond = (entries: readonly { rateAt: number }[]): number[] => {
    const counts: number[] = [];
    for (const entry of entries) {
      const second = Math.max(0, Math.floor((entry.rateAt - startedAtEpoch) / 1000));
      while (counts.length <= second) counts.push(0);
      counts[second] = (counts[second] ?? 0) + 1;
    }
    return counts;
  };
  const api = log.filter((entry) => entry.path.startsWith('/api/'));
  const runsInFlight: Array<[number, number]> = [];
  for (let t = 0; t <= sampledEndMs / 1000 + 1; t += 0.5) {
    runsInFlight.push([t, bench.fake.runsExecutingAt(startedAtEpoch + t * 1000)]);
  }
  await mkdir(dirname(options.chartPath), { recursive: true });
  await writeFile(
    options.chartPath,
    renderBurstChart({
      title: `Rollout of a module change to ${n} tenants: maxConcurrent ${options.maxConcurrent}, canary ${options.canary}, ${TFC_RUN_CAP} runs at once, runs ${options.runDurationMs / 1000} s`,
      readyAtSeconds: readyAt,
      readyLabel: 'tenants updated (TenantReady)',
      tenants: n,
      floorSeconds: section.floorSeconds,
      answeredPerSecond: perSecond(api.filter((entry) => entry.answeredBy !== 'rate-limit')),
      rateLimitedPerSecond: perSecond(api.filter((entry) => entry.answeredBy === 'rate-limit')),
      rateLimit: TFC_RATE_LIMIT,
      runsInFlight,
      runCap: TFC_RUN_CAP,
      inProgress: samples.map((s) => [s.at, s.inProgress] as const),
      inProgressLabel: 'rollout inProgress',
      xLabel: 'seconds since POST /rollouts',
    }),
  );
  section.result.notes.push(`chart of the rollout: ${options.chartPath}`);
  return [section.result];
}

interface Measured {
  rolloutId: string;
  view: RolloutView;
  oldVersion: string;
  newVersion: string;
  postMs: number;
  completedMs: number;
  sampledEndMs: number;
  timedOut: boolean;
  samples: RolloutSample[];
  readyAt: number[];
  tenants: TenantView[];
  /** Epoch ms of each tenant's update request by the rollout (its history). */
  requestedAt: Map<string, number>;
  runs: FakeRunView[];
  startedAtEpoch: number;
  requests: ReturnType<typeof summarizeRequests>;
  runsListCalls: number;
  userPeakPerSecond: number;
  onboardingSeconds: number;
  warnings: readonly string[];
}

function report(options: RolloutBenchOptions, m: Measured): { result: SectionResult; floorSeconds: number } {
  const n = options.tenants;
  const { view, samples, requests } = m;
  const floorSeconds = rolloutFloorSeconds(n, options.canary, TFC_RUN_CAP, options.runDurationMs);
  const seconds = m.completedMs / 1000;
  const onNew = m.tenants.filter((t) => t.status === 'ready' && t.moduleVersion === m.newVersion).length;
  const counts = statusCounts(m.tenants, n);
  const failures = view.counts.failed + (n - onNew);
  const peak = (value: (s: RolloutSample) => number) => Math.max(0, ...samples.map(value));
  const peakRuns = peakExecuting(m.runs);
  const spanSeconds = Number.isFinite(seconds) ? seconds : m.sampledEndMs / 1000;
  // Little's law over the sampled series: the mean time one tenant held a rollout place.
  const placeSeconds = (timeAverage(samples, (s) => s.inProgress) * spanSeconds) / n;
  const executingMean = timeAverage(samples, (s) => s.executing);
  const runsById = new Map(m.runs.map((r) => [r.id, r]));
  const requestToRun: number[] = [];
  const pendingInTfc: number[] = [];
  const executing: number[] = [];
  const finishToReady: number[] = [];
  const requestToReady: number[] = [];
  for (const tenant of m.tenants) {
    const run = tenant.run ? runsById.get(tenant.run.id) : undefined;
    if (!run || run.startedAt === undefined || run.finishedAt === undefined) continue;
    const requested = m.requestedAt.get(tenant.tenantCode);
    if (requested !== undefined) {
      requestToRun.push(run.createdAt - requested);
      requestToReady.push(Date.parse(tenant.updatedAt) - requested);
    }
    pendingInTfc.push(run.startedAt - run.createdAt);
    executing.push(run.finishedAt - run.startedAt);
    finishToReady.push(Date.parse(tenant.updatedAt) - run.finishedAt);
  }
  const toRun = distribution(requestToRun);
  const pending = distribution(pendingInTfc);
  const exec = distribution(executing);
  const lag = distribution(finishToReady);
  const whole = distribution(requestToReady);
  const perTenant = Object.fromEntries(
    [...requests.byEndpoint]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([endpoint, count]) => [endpoint, round(count / n, 2)]),
  );
  const params = `${n} tenants onboarded on one module version through the local control plane (startLocalControlPlane, DynamoDB Local, real ASL files, ${options.workers} task workers with tokens of one TFC user) against the TFC fake (${TFC_RATE_LIMIT} req/s per user, ${TFC_RUN_CAP} runs executing at once, runs ${options.runDurationMs} ms, 3 s of state processing); the module copy changed and the control plane restarted on the same data (all ${n} behind); then POST /rollouts { maxConcurrent: ${options.maxConcurrent}, canary: ${options.canary} }; admission maxConcurrentRuns ${TFC_RUN_CAP}; local Wait and rollout watch interval ${options.waitSeconds} s (LOCAL_WAIT_SECONDS)`;
  const figures: Figure[] = [
    {
      name: 'rollout.timeToCompleted',
      value: round(seconds, 1),
      unit: 's',
      method: `${params}; time from sending POST /rollouts to the RolloutCompleted lifecycle event printed by the local notifier (n/a when the rollout did not complete)`,
    },
    {
      name: 'rollout.floor',
      values: {
        floorSeconds: round(floorSeconds, 1),
        timeToCompletedOverFloor: round(seconds / floorSeconds, 2),
      },
      unit: 's',
      method: `the least time the rollout can take: the canary's run(s), then ceil(${n - Math.min(options.canary, n)} / ${TFC_RUN_CAP}) rounds of ${TFC_RUN_CAP} runs of ${options.runDurationMs} ms (each run holds one of the organization's ${TFC_RUN_CAP} run slots for its whole duration)`,
    },
    {
      name: 'rollout.outcome',
      values: {
        status: view.status,
        failures,
        rolloutFailed: view.counts.failed,
        skipped: view.counts.skipped,
        succeeded: view.counts.succeeded,
        onNewModuleVersion: onNew,
        ...counts,
      },
      unit: 'tenants',
      method: `${params}; the rollout's own counts (GET /rollouts/{id}) when it settled, and every tenant read back through GET /tenants after its flows ended: ready on the new module version or a failure`,
    },
    {
      name: 'rollout.concurrency',
      values: {
        peakRunsExecuting: peakRuns,
        runCap: TFC_RUN_CAP,
        peakTenantsUpdatingSampled: peak((s) => s.updating),
        peakInProgressSampled: peak((s) => s.inProgress),
        maxConcurrent: options.maxConcurrent,
        meanRunsExecutingSampled: round(executingMean, 2),
        samples: samples.length,
      },
      unit: 'runs / tenants',
      method: `${params}; runs executing: an exact sweep over the timelines of the runs the fake received during the rollout (planning to finished); tenants updating (GET /fleet byStatus.updating) and the rollout's counts.inProgress (GET /rollouts/{id}) sampled every ${options.sampleMs} ms plus the request time`,
    },
    {
      name: 'rollout.timePerTenant',
      values: {
        placeHeldMeanSeconds: round(placeSeconds, 2),
        requestToRunCreatedP50Ms: round(toRun.p50),
        requestToRunCreatedMeanMs: round(toRun.mean),
        runPendingInTfcP50Ms: round(pending.p50),
        runExecutingP50Ms: round(exec.p50),
        runFinishedToTenantReadyP50Ms: round(lag.p50),
        runFinishedToTenantReadyP99Ms: round(lag.p99),
        runFinishedToTenantReadyMeanMs: round(lag.mean),
        requestToTenantReadyP50Ms: round(whole.p50),
        requestToTenantReadyMeanMs: round(whole.mean),
      },
      unit: 's / ms',
      method: `${params}; mean time a tenant held a rollout place: Little's law over the sampled counts.inProgress (time-averaged count x time to completed / tenants); per tenant: the rollout's update request (its 'request' history item) -> POST /runs (the fake run's createdAt: admission and Trigger), created -> planning (pending in TFC), planning -> applied, run applied -> tenant row updatedAt (Check's next look, then Finalize's terminal write after reading the outputs), request -> tenant ready`,
    },
    {
      name: 'rollout.tfcRequests',
      values: {
        perTenant: round(requests.answered / n, 2),
        runsListCalls: m.runsListCalls,
        rateLimited429s: requests.rateLimited,
        userPeakRequestsPerSecond: m.userPeakPerSecond,
        ...perTenant,
      },
      unit: 'requests',
      method: `${params}; the fake's request log from POST /rollouts on: API requests answered (429s excluded) per endpoint divided by ${n}, runs-list requests (GET /workspaces/:id/runs, 30/min), 429s, the most requests the one TFC user sent in any sliding second`,
    },
  ];
  const problems: string[] = [];
  if (m.timedOut)
    problems.push(`the rollout did not settle within ${options.timeoutSeconds}s (status ${view.status})`);
  if (!m.timedOut && view.status !== 'completed') {
    problems.push(`the rollout ended ${view.status}${view.haltReason ? `: ${view.haltReason}` : ''}`);
  }
  if (failures > 0) {
    problems.push(
      `FAILURES: ${failures} of ${n} tenants are not ready on ${m.newVersion} (${JSON.stringify(counts)})`,
    );
    for (const reason of failureReasons(m.tenants).slice(0, 5)) problems.push(`  ${reason}`);
  }
  if (peakRuns > TFC_RUN_CAP) problems.push(`${peakRuns} runs executed at once (cap ${TFC_RUN_CAP})`);
  if (peak((s) => s.inProgress) > options.maxConcurrent) {
    problems.push(
      `counts.inProgress reached ${peak((s) => s.inProgress)} (maxConcurrent ${options.maxConcurrent})`,
    );
  }
  if (m.runsListCalls > 0) problems.push(`${m.runsListCalls} runs-list calls (the happy path makes none)`);
  if (m.userPeakPerSecond > TFC_RATE_LIMIT) {
    problems.push(
      `the TFC user sent ${m.userPeakPerSecond} requests within one second (limit ${TFC_RATE_LIMIT})`,
    );
  }
  if (m.warnings.length > 0)
    problems.push(`${m.warnings.length} control-plane warnings, first: ${m.warnings[0] ?? ''}`);

  const summary: Table = {
    columns: ['measure', 'value'],
    rows: [
      ['tenants (all behind after the module change)', n],
      ['module version', `${m.oldVersion} -> ${m.newVersion}`],
      ['rollout', `${m.rolloutId}: maxConcurrent ${options.maxConcurrent}, canary ${options.canary}`],
      ['status', view.status],
      ['POST /rollouts answered (ms)', round(m.postMs)],
      ['time to completed (s)', round(seconds, 1)],
      [
        `floor: canary + ${n - Math.min(options.canary, n)} runs / ${TFC_RUN_CAP} x ${options.runDurationMs / 1000} s (s)`,
        round(floorSeconds, 1),
      ],
      ['time over floor', round(seconds / floorSeconds, 2)],
      ['failures', failures],
      ['succeeded / skipped', `${view.counts.succeeded} / ${view.counts.skipped}`],
      ['on the new module version', onNew],
      ['peak runs executing (exact)', peakRuns],
      ['peak tenants updating (sampled)', peak((s) => s.updating)],
      ['peak counts.inProgress (sampled)', peak((s) => s.inProgress)],
      ['mean runs executing (sampled)', round(executingMean, 2)],
      ['mean place held per tenant (s)', round(placeSeconds, 2)],
      ['update requested -> run created p50 / mean (ms)', `${round(toRun.p50)} / ${round(toRun.mean)}`],
      ['run pending in TFC p50 (ms)', round(pending.p50)],
      ['run executing p50 (ms)', round(exec.p50)],
      [
        'run applied -> tenant ready p50 / mean / p99 (ms)',
        `${round(lag.p50)} / ${round(lag.mean)} / ${round(lag.p99)}`,
      ],
      ['update requested -> tenant ready p50 / mean (ms)', `${round(whole.p50)} / ${round(whole.mean)}`],
      ['TFC requests per tenant', round(requests.answered / n, 2)],
      ['runs-list calls', m.runsListCalls],
      ['429s received', requests.rateLimited],
      ['peak requests of the user in 1 s', m.userPeakPerSecond],
      ['onboarding before it (s)', round(m.onboardingSeconds, 1)],
    ],
  };
  const endpoints: Table = {
    columns: ['TFC endpoint', 'answered/tenant', '429s'],
    rows: [...requests.byEndpoint.keys()]
      .sort((a, b) => a.localeCompare(b))
      .map((endpoint) => [
        endpoint,
        round((requests.byEndpoint.get(endpoint) ?? 0) / n, 2),
        requests.rateLimitedByEndpoint.get(endpoint) ?? 0,
      ]),
  };
  return {
    result: {
      title: `7. Fleet rollout: ${n} tenants, maxConcurrent ${options.maxConcurrent}, canary ${options.canary} (wait ${options.waitSeconds}s, runs ${options.runDurationMs} ms, cap ${TFC_RUN_CAP})`,
      figures,
      tables: [summary, endpoints],
      problems,
      notes: [],
    },
    floorSeconds,
  };
}
