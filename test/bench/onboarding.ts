import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { TenantView } from '../../lambdas/core/tenant';
import { startLocalControlPlane, type RunningControlPlane } from '../../lambdas/local/control-plane';
import {
  DEFAULT_TIMINGS,
  startTfcFake,
  type FakeNotificationDelivery,
  type FakeRunView,
  type TfcFake,
} from '../support/tfc-fake/server';
import { renderBurstChart, type BurstChartData } from './chart';
import type { Figure, SectionResult, Table } from './report';
import type { Scope } from './scope';
import { distribution, round, since } from './stats';
import { peakPerSecond, rateWhileThrottled, summarizeRequests, type RequestSummary } from './tfc-requests';

/** TFC's documented limit (api-docs/index.mdx): 30 requests per second per user. The fake enforces it. */
export const TFC_RATE_LIMIT = 30;
/** The fake's organization plan: Standard executes 10 runs at once; the control plane's cap matches it. */
export const TFC_RUN_CAP = 10;

const ORGANIZATION = 'bench';
/** Every worker's token belongs to this one TFC user: they share its limits (index.mdx). */
export const TFC_USER = 'bench-team';
const tokenOf = (worker: number): string => `bench-token-${worker}.atlasv1.bench`;
/** The endpoint with its own limit of 30 per minute (run.mdx); the happy path must not call it. */
export const RUNS_LIST = 'GET /api/v2/workspaces/:id/runs';
/** The steady phase is below the rate limit: it ends about one run after its last create. */
const STEADY_TIMEOUT_SECONDS = 90;
/** The module the deployed trigger uploads (lib/constructs/tenant-flows.ts, TERRAFORM_MODULE_BUNDLE). */
export const MODULE_DIR = resolve(__dirname, '..', '..', 'terraform-module', 'aws');

export interface OnboardingOptions {
  /** Tenants created at once for the burst. */
  tenants: number;
  /** The local Wait state's length; with notifications on, the queued flows' ask interval only. */
  waitSeconds: number;
  /**
   * Run notifications on: flows wait for their run's notification (the fake's, to the local receiver
   * route), and the Wait state lasts `fallbackWaitSeconds`. @default off: flows poll every `waitSeconds`
   */
  notifications?: { fallbackWaitSeconds: number };
  /** How long each fake run takes from planning to applied. */
  runDurationMs: number;
  /** Give up waiting for the burst (and count what is not ready as failed) after this long. */
  timeoutSeconds: number;
  /** Tenants created one by one afterwards for the uncontended completion lag (0 skips it). */
  steadyTenants: number;
  /** Time between two of those creates. */
  steadyIntervalMs: number;
  /** Concurrent task workers, each with its own TFC client and token, all of one TFC user. */
  workers: number;
  /** Where the burst's SVG chart goes. */
  chartPath: string;
}

/** How the flows learn that their runs ended, as the figures name it. */
export function completionOf(options: Pick<OnboardingOptions, 'waitSeconds' | 'notifications'>): string {
  return options.notifications
    ? `run notifications on, fallback Wait ${options.notifications.fallbackWaitSeconds}s, queued asks every ${options.waitSeconds}s`
    : `Wait ${options.waitSeconds}s`;
}

/** Event-driven completion's promise: run terminal -> flow woken (DESIGN.md, "Event-driven completion"). */
const NOTIFIED_LAG_GOAL_MS = { p50: 2_000, p99: 5_000 } as const;

export interface LifecycleRecord {
  /** The tenant's code; for a rollout event, its rollout id. */
  tenantCode: string;
  event: string;
  /** `performance.now()` when the local notifier printed it. */
  receivedAt: number;
}

interface Phase {
  codes: string[];
  /** `performance.now()` before the first create. */
  startedAt: number;
  /** `Date.now()` at the same moment (the fake's clock and its log are in epoch ms). */
  startedAtEpoch: number;
  createLatencies: number[];
  rejected: Array<{ code: string; status: number; body: string }>;
  acceptedAfterMs: number;
  drained: boolean;
  drainedAfterMs: number;
  tenants: TenantView[];
  requests: RequestSummary;
  peakPerSecond: number;
  /** The most requests the one TFC user sent in any sliding second, 429s included (the fake's count). */
  userPeakPerSecond: number;
  /** Runs-list requests (run.mdx: 30 per minute); the happy path makes none. */
  runsListCalls: number;
  /** The most runs the fake executed at once during the phase, and the per-second series for the chart. */
  peakExecutingRuns: number;
  answeredPerSecond: number[];
  rateLimitedPerSecond: number[];
  runsInFlight: Array<[number, number]>;
  throttled: { seconds: number; perSecond: number } | undefined;
  /** How busy this process was: if its event loop lags, the figures are bound by this machine. */
  host: { eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number; nodeCpuCores: number };
}

/** The local control plane of `npm start`, pointed at the TFC fake, in a temp data dir. */
export class Bench {
  private constructor(
    public readonly fake: TfcFake,
    private current: RunningControlPlane | undefined,
    private readonly startPlane: () => Promise<RunningControlPlane>,
    public readonly http: Agent,
    /** Lifecycle events the local notifier printed, as they came. */
    public readonly lifecycle: readonly LifecycleRecord[],
    public readonly warnings: readonly string[],
  ) {}

  /** `moduleDir`: the module the control plane deploys (a copy, when the bench changes it later). */
  public static async start(
    options: Pick<OnboardingOptions, 'workers' | 'runDurationMs' | 'waitSeconds' | 'notifications'>,
    scope: Scope,
    moduleDir = MODULE_DIR,
  ): Promise<Bench> {
    const workers = Math.max(1, options.workers);
    const tokens = Array.from({ length: workers }, (_, i) => tokenOf(i));
    // The documented limits and delays: 30 requests/s per user, runs list 30/min, Standard plan (10 runs
    // executing at once), 1.5 s of upload processing and 3 s of state processing (the fake's defaults).
    const fake = await startTfcFake({
      organization: ORGANIZATION,
      token: tokenOf(0),
      tokens: Object.fromEntries(tokens.map((token) => [token, TFC_USER])),
      rateLimitPerSecond: TFC_RATE_LIMIT,
      maxConcurrentRuns: TFC_RUN_CAP,
      runDurationMs: options.runDurationMs,
      outputs: (workspaceName) => [
        { name: 'bucket_name', value: `${workspaceName}-data` },
        { name: 'api_key', value: 'not-stored', sensitive: true },
      ],
    });
    scope.defer('TFC fake', fake, () => fake.close());
    const dataDir = await scope.tempDir('control-plane');
    const lifecycle: LifecycleRecord[] = [];
    const warnings: string[] = [];
    const startPlane = () =>
      startLocalControlPlane(
        {
          host: '127.0.0.1',
          port: 0,
          dataDir,
          moduleDir,
          environment: 'bench',
          waitSeconds: options.notifications?.fallbackWaitSeconds ?? options.waitSeconds,
          pollBudget: 600,
          maxConcurrentRuns: TFC_RUN_CAP,
          queuedWaitSeconds: options.waitSeconds,
          // The fake notifies this server's receiver route (the default URL), signed with its token.
          ...(options.notifications ? { notifications: {} } : {}),
          tfc: {
            address: fake.url,
            token: tokenOf(0),
            tokens,
            workers,
            organization: ORGANIZATION,
            requestsPerSecond: TFC_RATE_LIMIT,
            runsListPerMinute: 30,
          },
        },
        {
          out: (line) => {
            const receivedAt = performance.now();
            let parsed: { lifecycleEvent?: { tenantCode?: string; rolloutId?: string; event: string } };
            try {
              parsed = JSON.parse(line) as typeof parsed;
            } catch {
              return; // not a lifecycle event line
            }
            if (!parsed.lifecycleEvent) return;
            const { tenantCode, rolloutId, event } = parsed.lifecycleEvent;
            lifecycle.push({ tenantCode: tenantCode ?? rolloutId ?? '', event, receivedAt });
          },
          warn: (line) => warnings.push(line),
        },
      );
    const bench = new Bench(
      fake,
      await startPlane(),
      startPlane,
      new Agent({ connections: 1024 }),
      lifecycle,
      warnings,
    );
    scope.defer('local control plane', bench, () => bench.stopPlane());
    scope.defer('HTTP client', bench.http, () => bench.http.close());
    return bench;
  }

  public get plane(): RunningControlPlane {
    if (!this.current) throw new Error('the local control plane is stopped');
    return this.current;
  }

  private async stopPlane(): Promise<void> {
    const plane = this.current;
    this.current = undefined;
    await plane?.stop();
  }

  /** Stops the control plane and starts it again on the same data dir (it reads the module anew). */
  public async restartPlane(): Promise<RunningControlPlane> {
    await this.stopPlane();
    this.current = await this.startPlane();
    return this.current;
  }

  public async create(code: string): Promise<{ status: number; body: string }> {
    const res = await request(`${this.plane.url}/tenants`, {
      method: 'POST',
      dispatcher: this.http,
      headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${code}` },
      body: JSON.stringify({ tenantCode: code, tier: 'small', variables: { notebook_port: '8888' } }),
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  /** Every tenant, through the API's paginated list. */
  public async listTenants(): Promise<TenantView[]> {
    const all: TenantView[] = [];
    let nextToken: string | undefined;
    do {
      const url = new URL('/tenants', this.plane.url);
      url.searchParams.set('limit', '100');
      if (nextToken) url.searchParams.set('nextToken', nextToken);
      const res = await request(url, { dispatcher: this.http });
      const page = (await res.body.json()) as { items: TenantView[]; nextToken?: string };
      all.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return all;
  }

  /** Creates `codes` (all at once, or `intervalMs` apart) and waits for every flow to end. */
  public async phase(codes: string[], intervalMs: number, timeoutSeconds: number): Promise<Phase> {
    this.fake.clearRequests();
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    const cpuBefore = process.cpuUsage();
    const createLatencies: number[] = [];
    const rejected: Phase['rejected'] = [];
    const startedAt = performance.now();
    const startedAtEpoch = Date.now();
    const creates: Array<Promise<void>> = [];
    for (const code of codes) {
      creates.push(
        (async () => {
          const sent = performance.now();
          const res = await this.create(code);
          createLatencies.push(since(sent));
          if (res.status !== 202) rejected.push({ code, ...res });
        })(),
      );
      if (intervalMs > 0) await sleep(intervalMs);
    }
    await Promise.all(creates);
    const acceptedAfterMs = since(startedAt);
    const timeout = sleep(timeoutSeconds * 1000, 'timeout' as const, { ref: false });
    const drained =
      (await Promise.race([this.plane.bus.drain().then(() => 'drained' as const), timeout])) === 'drained';
    const drainedAfterMs = since(startedAt);
    loop.disable();
    const cpu = process.cpuUsage(cpuBefore);
    const wanted = new Set(codes);
    const tenants = (await this.listTenants()).filter((t) => wanted.has(t.tenantCode));
    const log = this.fake.requests;
    const seconds = (at: number) => Math.floor((at - startedAtEpoch) / 1000);
    const perSecond = (entries: readonly { rateAt: number }[]): number[] => {
      const counts: number[] = [];
      for (const entry of entries) {
        const second = Math.max(0, seconds(entry.rateAt));
        while (counts.length <= second) counts.push(0);
        counts[second] = (counts[second] ?? 0) + 1;
      }
      return counts;
    };
    const api = log.filter((entry) => entry.path.startsWith('/api/'));
    const answeredPerSecond = perSecond(api.filter((entry) => entry.answeredBy !== 'rate-limit'));
    const rateLimitedPerSecond = perSecond(api.filter((entry) => entry.answeredBy === 'rate-limit'));
    const runsInFlight: Array<[number, number]> = [];
    for (let t = 0; t <= drainedAfterMs / 1000 + 1; t += 0.5) {
      runsInFlight.push([t, this.fake.runsExecutingAt(startedAtEpoch + t * 1000)]);
    }
    return {
      codes,
      startedAt,
      startedAtEpoch,
      createLatencies,
      rejected,
      acceptedAfterMs,
      drained,
      drainedAfterMs,
      tenants,
      requests: summarizeRequests(log),
      peakPerSecond: peakPerSecond(log),
      userPeakPerSecond: this.fake.peakRequestsPerSecond(TFC_USER),
      runsListCalls: this.fake.countBy(RUNS_LIST),
      peakExecutingRuns: Math.max(0, ...runsInFlight.map(([, n]) => n)),
      answeredPerSecond,
      rateLimitedPerSecond,
      runsInFlight,
      throttled: rateWhileThrottled(log),
      host: {
        eventLoopDelayP99Ms: loop.percentile(99) / 1e6,
        eventLoopDelayMaxMs: loop.max / 1e6,
        nodeCpuCores: (cpu.user + cpu.system) / 1000 / drainedAfterMs,
      },
    };
  }
}

export function codes(prefix: string, count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(width, '0')}`);
}

/** Milliseconds from the run's terminal status (fake `finishedAt`) to the tenant's terminal write. */
/**
 * Run end -> the receiver's answer to its notification (the flow woken): the event-driven part of the lag,
 * before Finalize reads TFC.
 */
function wakeLags(tenants: TenantView[], deliveries: readonly FakeNotificationDelivery[]): number[] {
  const runs = new Set(tenants.map((t) => t.run?.id));
  return deliveries
    .filter((d) => d.trigger === 'run:completed' && runs.has(d.runId ?? undefined) && d.status === 200)
    .map((d) => d.settledAt - d.at);
}

function completionLags(tenants: TenantView[], runs: Map<string, FakeRunView>): number[] {
  const lags: number[] = [];
  for (const tenant of tenants) {
    if (tenant.status !== 'ready' || !tenant.run) continue;
    const finishedAt = runs.get(tenant.run.id)?.finishedAt;
    if (finishedAt === undefined) continue;
    lags.push(Date.parse(tenant.updatedAt) - finishedAt);
  }
  return lags;
}

export function statusCounts(tenants: TenantView[], expected: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of tenants) counts[t.status] = (counts[t.status] ?? 0) + 1;
  const missing = expected - tenants.length;
  if (missing > 0) counts.absent = missing;
  return counts;
}

export function failureReasons(tenants: TenantView[]): string[] {
  const reasons = new Map<string, number>();
  for (const t of tenants) {
    if (t.status === 'ready') continue;
    // One line per kind of failure: workspace names and TFC ids differ per tenant.
    const message = t.lastError?.message
      .replace(/tenant-bench-[a-z0-9-]+/g, '<workspace>')
      .replace(/\b(ws|run|cv|var)-[A-Za-z0-9]{16}\b/g, '<$1-id>');
    const reason = t.lastError ? `${t.lastError.code}: ${message?.slice(0, 200)}` : `still ${t.status}`;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return [...reasons].map(([reason, count]) => `${count} x ${reason}`);
}

/**
 * Figures 1 and 2: a burst of tenants created at once through the local control plane's HTTP API, driving
 * the TFC fake (30 requests/s, 429 past it) through the real client, flow and ASL file; then a trickle
 * of tenants created one at a time, whose completion lag is not inflated by the rate limit.
 */
export async function onboarding(options: OnboardingOptions, scope: Scope): Promise<SectionResult[]> {
  const bench = await Bench.start(options, scope);
  const burst = await bench.phase(codes('burst', options.tenants), 0, options.timeoutSeconds);
  // Every run so far is the burst's: the most that ever executed at once (exact, not sampled).
  burst.peakExecutingRuns = bench.fake.peakExecutingRuns;
  const burstRuns = new Map(bench.fake.runs.map((r) => [r.id, r]));
  // Flows still running after a timed-out burst would compete with the steady tenants: skip them then.
  const steady =
    options.steadyTenants > 0 && burst.drained
      ? await bench.phase(
          codes('steady', options.steadyTenants),
          options.steadyIntervalMs,
          STEADY_TIMEOUT_SECONDS,
        )
      : undefined;
  const allRuns = new Map(bench.fake.runs.map((r) => [r.id, r]));
  const section = burstSection(options, burst, steady, bench);
  await mkdir(dirname(options.chartPath), { recursive: true });
  await writeFile(options.chartPath, renderBurstChart(section.chart));
  section.result.notes.push(`chart of the burst: ${options.chartPath}`);
  return [
    section.result,
    lagSection(options, burst, burstRuns, steady, allRuns, bench.fake.notificationDeliveries),
  ];
}

function burstSection(
  options: OnboardingOptions,
  burst: Phase,
  steady: Phase | undefined,
  bench: Bench,
): { result: SectionResult; chart: BurstChartData } {
  const n = options.tenants;
  const counts = statusCounts(burst.tenants, n);
  const ready = counts.ready ?? 0;
  const failures = n - ready;
  const readyTimes = bench.lifecycle
    .filter((e) => e.tenantCode.startsWith('burst-') && e.event === 'TenantReady')
    .map((e) => e.receivedAt - burst.startedAt);
  const allReadyMs = failures === 0 && readyTimes.length > 0 ? Math.max(...readyTimes) : Number.NaN;
  // The per-tenant cost without contention (steady phase) bounds how fast any burst can go at 30/s.
  const baseline =
    steady && steady.requests.answered > 0 ? steady.requests.answered / steady.codes.length : undefined;
  const rateFloorSeconds = baseline === undefined ? Number.NaN : (n * baseline) / TFC_RATE_LIMIT;
  // Each run holds one of the cap's slots for its whole duration: n runs need ceil(n / cap) turns.
  const runFloorSeconds = (Math.ceil(n / TFC_RUN_CAP) * options.runDurationMs) / 1000;
  const floorSeconds = Math.max(rateFloorSeconds, runFloorSeconds);
  const { requests } = burst;
  const windowSeconds = (requests.lastAt - requests.firstAt) / 1000;
  const achievedRate = requests.answered / windowSeconds;
  const perTenant = Object.fromEntries(
    [...requests.byEndpoint]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([endpoint, count]) => [endpoint, round(count / n, 2)]),
  );
  const createLatency = distribution(burst.createLatencies);
  const params = `${n} tenants POSTed at once (Idempotency-Key each) to the local control plane (startLocalControlPlane, DynamoDB Local, real ASL file, ${completionOf(options)}, LocalBus, ${options.workers} task workers each with its own TfcClient and token of one TFC user) pointed at the TFC fake (documented limits: ${TFC_RATE_LIMIT} req/s per user, runs list 30/min, ${TFC_RUN_CAP} runs executing at once; run duration ${options.runDurationMs} ms)`;

  const figures: Figure[] = [
    {
      name: 'burst.timeToAllReady',
      value: round(allReadyMs / 1000, 1),
      unit: 's',
      method: `${params}; time from the first POST to the last TenantReady lifecycle event printed by the local notifier (n/a when any tenant did not become ready)`,
    },
    {
      name: 'burst.timeToAllTerminal',
      value: round(burst.drainedAfterMs / 1000, 1),
      unit: 's',
      method: `${params}; time from the first POST until every execution had ended, ready or failed (LocalBus.drain())${burst.drained ? '' : `; did not finish: stopped waiting after ${options.timeoutSeconds}s`}`,
    },
    {
      name: 'burst.floor',
      values: {
        uncontendedRequestsPerTenant: baseline === undefined ? null : round(baseline, 2),
        rateFloorSeconds: round(rateFloorSeconds, 1),
        runConcurrencyFloorSeconds: round(runFloorSeconds, 1),
        floorSeconds: round(floorSeconds, 1),
        timeToAllReadyOverFloor: round(allReadyMs / 1000 / floorSeconds, 2),
      },
      unit: 's',
      method: `the least time any burst of ${n} can take: the higher of the rate floor (TFC API requests per tenant measured in the uncontended steady phase, ${steady?.codes.length ?? 0} tenants ${options.steadyIntervalMs} ms apart, times ${n} tenants, divided by the ${TFC_RATE_LIMIT}/s per-user limit) and the run-concurrency floor (ceil(${n} / ${TFC_RUN_CAP} runs at once) x ${options.runDurationMs} ms per run)`,
    },
    {
      name: 'burst.limitsHeld',
      values: {
        workers: options.workers,
        runsListCalls: burst.runsListCalls,
        userPeakRequestsPerSecond: burst.userPeakPerSecond,
        userRateLimit: TFC_RATE_LIMIT,
        peakRunsExecuting: burst.peakExecutingRuns,
        runCap: TFC_RUN_CAP,
      },
      unit: 'requests / runs',
      method: `${params}; from the fake's own accounting: runs-list requests (GET /workspaces/:id/runs, limited to 30/min), the most requests the one TFC user sent in any sliding second (every request that reached the fake, 429s included), and the most runs planning or applying at the same time (a sweep over every run's timeline)`,
    },
    {
      name: 'burst.onboardingRate',
      value: round((ready / (burst.drainedAfterMs / 1000)) * 60, 1),
      unit: 'tenants/min',
      method: `${params}; ready tenants divided by the time until every execution had ended (LocalBus.drain())`,
    },
    {
      name: 'burst.apiAcceptTime',
      values: {
        allAcceptedS: round(burst.acceptedAfterMs / 1000, 2),
        p50Ms: round(createLatency.p50),
        p99Ms: round(createLatency.p99),
      },
      unit: 's / ms',
      method: `${params}; time until every POST /tenants had answered, and the per-request latency (undici client in the same process)`,
    },
    {
      name: 'burst.tfcRequestsPerTenant',
      values: { total: round(requests.answered / n, 2), ...perTenant },
      unit: 'requests/tenant',
      method: `${params}; TFC fake request log, API requests answered (429s excluded), per normalised endpoint, divided by the tenant count; archivist uploads (PUT /_archivist/..., outside the API rate limit) counted apart: ${round(requests.uploads / n, 2)}/tenant`,
    },
    {
      name: 'burst.rateLimited429s',
      values: {
        total: requests.rateLimited,
        perTenant: round(requests.rateLimited / n, 2),
        ...Object.fromEntries(requests.rateLimitedByEndpoint),
      },
      unit: 'responses',
      method: `${params}; requests the fake's rate limiter answered 429 (answeredBy 'rate-limit'), each retried by the client after X-RateLimit-Reset plus jitter`,
    },
    {
      name: 'burst.failures',
      values: { failed: failures, ...counts },
      unit: 'tenants',
      method: `${params}; tenant statuses read back through GET /tenants after every execution ended (or after the ${options.timeoutSeconds}s timeout); every status but ready counts as a failure`,
    },
    {
      name: 'burst.tfcRateOfLimit',
      values: {
        achievedPerSecond: round(achievedRate, 1),
        fractionOfLimit: round(achievedRate / TFC_RATE_LIMIT, 3),
        peakOneSecondWindow: burst.peakPerSecond,
        windowSeconds: round(windowSeconds, 1),
        whileThrottledPerSecond: burst.throttled ? round(burst.throttled.perSecond, 1) : null,
        whileThrottledFractionOfLimit: burst.throttled
          ? round(burst.throttled.perSecond / TFC_RATE_LIMIT, 3)
          : null,
        throttledSeconds: burst.throttled ? round(burst.throttled.seconds, 1) : null,
      },
      unit: 'requests/s',
      method: `${params}; answered API requests divided by the time between the first and the last TFC request of the burst, against the ${TFC_RATE_LIMIT}/s limit; the peak is the most answered requests in any sliding 1 s window (times logged at answer, so it can show 31); 'while throttled' counts only the time between the first and the last 429`,
    },
    {
      name: 'burst.benchHost',
      values: {
        eventLoopDelayP99Ms: round(burst.host.eventLoopDelayP99Ms, 1),
        eventLoopDelayMaxMs: round(burst.host.eventLoopDelayMaxMs, 1),
        nodeCpuCores: round(burst.host.nodeCpuCores, 2),
      },
      unit: 'ms / cores',
      method: `during the burst, the event-loop delay of the one node process running the control plane, the TFC fake and the client (perf_hooks.monitorEventLoopDelay, 20 ms resolution) and its CPU time (process.cpuUsage) divided by wall time; DynamoDB Local is a separate java process on the same ${cpus().length} cores`,
    },
  ];

  const problems: string[] = [];
  if (failures > 0) {
    problems.push(`FAILURES: ${failures} of ${n} tenants did not become ready (${JSON.stringify(counts)})`);
    for (const reason of failureReasons(burst.tenants).slice(0, 5)) problems.push(`  ${reason}`);
  }
  if (!burst.drained) {
    problems.push(
      `the burst did not finish within ${options.timeoutSeconds}s (--burst-timeout); the steady phase was skipped`,
    );
  }
  if (burst.rejected.length > 0) {
    const first = burst.rejected[0];
    problems.push(
      `${burst.rejected.length} creates were not accepted (first: ${first?.status} ${first?.body.slice(0, 200)})`,
    );
  }
  if (requests.errors.size > 0) {
    problems.push(`non-2xx TFC answers besides 429: ${JSON.stringify(Object.fromEntries(requests.errors))}`);
  }
  if (bench.warnings.length > 0) {
    problems.push(`${bench.warnings.length} control-plane warnings, first: ${bench.warnings[0] ?? ''}`);
  }
  if (burst.runsListCalls > 0)
    problems.push(`${burst.runsListCalls} runs-list calls (the happy path makes none)`);
  if (burst.userPeakPerSecond > TFC_RATE_LIMIT) {
    problems.push(
      `the TFC user sent ${burst.userPeakPerSecond} requests within one second (limit ${TFC_RATE_LIMIT})`,
    );
  }
  if (burst.peakExecutingRuns > TFC_RUN_CAP) {
    problems.push(`${burst.peakExecutingRuns} runs executed at once (cap ${TFC_RUN_CAP})`);
  }

  const summary: Table = {
    columns: ['measure', 'value'],
    rows: [
      ['tenants', n],
      ['ready', ready],
      ['failures', failures],
      ['task workers (one TFC user)', options.workers],
      ['time to all ready (s)', round(allReadyMs / 1000, 1)],
      ['time to all terminal (s)', round(burst.drainedAfterMs / 1000, 1)],
      [`rate floor at ${TFC_RATE_LIMIT}/s (s)`, round(rateFloorSeconds, 1)],
      [`run-concurrency floor at ${TFC_RUN_CAP} runs (s)`, round(runFloorSeconds, 1)],
      ['runs-list calls', burst.runsListCalls],
      ['peak requests of the user in 1 s', burst.userPeakPerSecond],
      ['peak runs executing', burst.peakExecutingRuns],
      ['all POSTs answered (s)', round(burst.acceptedAfterMs / 1000, 2)],
      ['POST latency p50 / p99 (ms)', `${round(createLatency.p50)} / ${round(createLatency.p99)}`],
      ['TFC API requests answered', requests.answered],
      ['TFC requests per tenant', round(requests.answered / n, 2)],
      ['429s received', requests.rateLimited],
      ['achieved TFC rate (req/s)', round(achievedRate, 1)],
      ['fraction of 30/s limit', round(achievedRate / TFC_RATE_LIMIT, 3)],
      ['peak 1 s window (req)', burst.peakPerSecond],
      [
        'rate while throttled (req/s)',
        burst.throttled
          ? `${round(burst.throttled.perSecond, 1)} over ${round(burst.throttled.seconds, 1)} s`
          : null,
      ],
      [
        'event-loop delay p99 / max (ms)',
        `${round(burst.host.eventLoopDelayP99Ms)} / ${round(burst.host.eventLoopDelayMaxMs)}`,
      ],
      ['node CPU (cores)', round(burst.host.nodeCpuCores, 2)],
    ],
  };
  const steadyCount = steady?.codes.length ?? 0;
  const endpointNames = new Set([
    ...requests.byEndpoint.keys(),
    ...(steady?.requests.byEndpoint.keys() ?? []),
  ]);
  const endpoints: Table = {
    columns: ['TFC endpoint', 'burst answered/tenant', 'burst 429s', 'uncontended/tenant'],
    rows: [...endpointNames]
      .sort((a, b) => a.localeCompare(b))
      .map((endpoint) => [
        endpoint,
        round((requests.byEndpoint.get(endpoint) ?? 0) / n, 2),
        requests.rateLimitedByEndpoint.get(endpoint) ?? 0,
        steady ? round((steady.requests.byEndpoint.get(endpoint) ?? 0) / steadyCount, 2) : null,
      ]),
  };
  const title = `1. Burst onboarding: ${n} tenants at once (${completionOf(options)}, runs ${options.runDurationMs} ms, ${options.workers} workers)`;
  const chart: BurstChartData = {
    title: `${n} tenants at once: ${options.workers} task workers, one TFC user (${TFC_RATE_LIMIT} req/s), ${TFC_RUN_CAP} runs at once, runs ${options.runDurationMs / 1000} s`,
    readyAtSeconds: readyTimes.map((ms) => ms / 1000),
    tenants: n,
    floorSeconds: Number.isFinite(floorSeconds) ? floorSeconds : undefined,
    answeredPerSecond: burst.answeredPerSecond,
    rateLimitedPerSecond: burst.rateLimitedPerSecond,
    rateLimit: TFC_RATE_LIMIT,
    runsInFlight: burst.runsInFlight,
    runCap: TFC_RUN_CAP,
  };
  return {
    result: {
      title,
      figures,
      tables: [summary, endpoints],
      problems,
      notes: [`archivist uploads (not rate limited): ${round(requests.uploads / n, 2)} per tenant`],
    },
    chart,
  };
}

function lagSection(
  options: OnboardingOptions,
  burst: Phase,
  burstRuns: Map<string, FakeRunView>,
  steady: Phase | undefined,
  allRuns: Map<string, FakeRunView>,
  deliveries: readonly FakeNotificationDelivery[],
): SectionResult {
  const phases = [
    { phase: 'burst', tenants: burst.tenants, runs: burstRuns },
    ...(steady ? [{ phase: 'steady', tenants: steady.tenants, runs: allRuns }] : []),
  ].map((p) => ({
    phase: p.phase,
    lag: distribution(completionLags(p.tenants, p.runs)),
    wake: options.notifications ? distribution(wakeLags(p.tenants, deliveries)) : undefined,
  }));
  // TFC answers 503 for a new state's outputs while it processes them (state-version-outputs.mdx); the
  // fake takes its default (assumed) time: no flow can be ready sooner after its run.
  const floorMs = DEFAULT_TIMINGS.outputsProcessingMs;
  const base = `lag = tenant row updatedAt (written by Finalize with the terminal status, after it read the outputs; the TenantReady event carries the same time) minus the fake run's finishedAt (when it reached applied); wall-clock ms, same host; ${completionOf(options)}, run duration ${options.runDurationMs} ms; floor: the fake's ${floorMs} ms of state processing (outputs answer 503 meanwhile)`;
  const wakeBase = `wake = the receiver's answer to the fake's run:completed notification (the flow woken) minus the run's finishedAt; wall-clock ms, same host`;
  const figures = phases.flatMap(({ phase, lag, wake }): Figure[] => [
    {
      name: `completionLag.${phase}`,
      values: {
        waitSeconds: options.notifications?.fallbackWaitSeconds ?? options.waitSeconds,
        notifications: options.notifications ? 'on' : 'off',
        p50Ms: round(lag.p50),
        p99Ms: round(lag.p99),
        maxMs: round(lag.max),
        floorMs,
        tenants: lag.count,
      },
      unit: 'ms',
      method: `${base}; ${phase === 'burst' ? `the ${options.tenants} burst tenants, whose Finalize requests queue behind the rate limit` : `${options.steadyTenants} tenants created ${options.steadyIntervalMs} ms apart after the burst, below the rate limit`}`,
    },
    ...(wake
      ? [
          {
            name: `wakeLag.${phase}`,
            values: {
              p50Ms: round(wake.p50),
              p99Ms: round(wake.p99),
              maxMs: round(wake.max),
              notifications: wake.count,
            },
            unit: 'ms',
            method: `${wakeBase}; ${phase} tenants`,
          },
        ]
      : []),
  ]);
  const problems: string[] = [];
  for (const { phase, wake } of phases) {
    if (wake && (wake.p50 > NOTIFIED_LAG_GOAL_MS.p50 || wake.p99 > NOTIFIED_LAG_GOAL_MS.p99))
      problems.push(
        `${phase}: run end -> flow woken p50 ${round(wake.p50)} ms / p99 ${round(wake.p99)} ms is above the goal of p50 ≤ ${NOTIFIED_LAG_GOAL_MS.p50} ms, p99 ≤ ${NOTIFIED_LAG_GOAL_MS.p99} ms`,
      );
  }
  if (steady) {
    const notReady =
      steady.tenants.filter((t) => t.status !== 'ready').length +
      (steady.codes.length - steady.tenants.length);
    if (notReady > 0)
      problems.push(
        `FAILURES: ${notReady} of the ${steady.codes.length} steady tenants did not become ready`,
      );
  }
  return {
    title: `2. Completion lag: run terminal -> tenant terminal (${completionOf(options)})`,
    figures,
    tables: [
      {
        columns: [
          'phase',
          'tenants',
          'p50 ms',
          'p99 ms',
          'max ms',
          'over the floor p50 ms',
          'woken p50 ms',
          'woken p99 ms',
        ],
        rows: phases.map(({ phase, lag, wake }) => [
          phase,
          lag.count,
          round(lag.p50),
          round(lag.p99),
          round(lag.max),
          round(lag.p50 - floorMs),
          wake ? round(wake.p50) : '-',
          wake ? round(wake.p99) : '-',
        ]),
      },
    ],
    problems,
    notes: [],
  };
}
