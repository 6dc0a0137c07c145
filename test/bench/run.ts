import './env';
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import { startDynamoDbLocal } from '../../lambdas/local/dynamodb-local';
import { apiLatency } from './api-latency';
import { decommissionSweep } from './decommission-sweep';
import { functionBundles } from './function-bundles';
import { onboarding } from './onboarding';
import { describeOptions, parseOptions, usage, type BenchOptions, type Section } from './options';
import { formatSection, machine, writeResults, type Figure, type SectionResult } from './report';
import { rolloutBench } from './rollout';
import { Scope } from './scope';
import { round } from './stats';
import { stateTransitions } from './state-transitions';

/** Sections that share one in-memory DynamoDB Local (each makes its own tables through test/support). */
const NEEDS_DYNAMODB: readonly Section[] = ['transitions', 'api', 'decommission'];

const open = new Set<Scope>();
/** Set once a signal or crash is tearing the run down: sections failing from then on are not news. */
let stopping = false;

function describe(error: unknown, withStack = false): string {
  if (error instanceof Error) return withStack ? (error.stack ?? error.message) : error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}

async function inScope<T>(
  fn: (scope: Scope) => Promise<T>,
): Promise<{ result?: T; error?: unknown; cleanup: string[] }> {
  if (stopping) return { error: new Error('the run is stopping'), cleanup: [] };
  const scope = new Scope();
  open.add(scope);
  try {
    return { result: await fn(scope), cleanup: await scope.close() };
  } catch (error) {
    return { error, cleanup: await scope.close() };
  } finally {
    open.delete(scope);
  }
}

function section(name: Section, options: BenchOptions, scope: Scope): Promise<SectionResult[]> {
  switch (name) {
    case 'onboarding':
      return onboarding(
        {
          tenants: options.tenants,
          waitSeconds: options.waitSeconds,
          ...(options.notifications === 'on'
            ? { notifications: { fallbackWaitSeconds: options.fallbackWaitSeconds } }
            : {}),
          runDurationMs: options.runDurationMs,
          timeoutSeconds: options.burstTimeoutSeconds,
          steadyTenants: options.steadyTenants,
          steadyIntervalMs: options.steadyIntervalMs,
          workers: options.workers,
          // Beside the JSON results: bench-results/latest.json -> bench-results/latest-burst.svg.
          chartPath: resolve(options.out).replace(/(\.json)?$/, '-burst.svg'),
        },
        scope,
      );
    case 'rollout':
      return rolloutBench(
        {
          tenants: options.tenants,
          waitSeconds: options.waitSeconds,
          runDurationMs: options.runDurationMs,
          workers: options.workers,
          maxConcurrent: options.rolloutMaxConcurrent,
          canary: options.rolloutCanary,
          timeoutSeconds: options.burstTimeoutSeconds,
          sampleMs: options.rolloutSampleMs,
          chartPath: resolve(options.out).replace(/(\.json)?$/, '-rollout.svg'),
        },
        scope,
      );
    case 'transitions':
      return stateTransitions({ runMinutes: options.runMinutes }, scope).then((r) => [r]);
    case 'api':
      return apiLatency(
        { creates: options.apiCreates, gets: options.apiGets, warmup: options.apiWarmup },
        scope,
      ).then((r) => [r]);
    case 'decommission':
      return decommissionSweep(
        {
          sizes: options.decommissionSizes,
          due: options.decommissionDue,
          loadConcurrency: options.loadConcurrency,
        },
        scope,
      ).then((r) => [r]);
    case 'bundles':
      return functionBundles({ importRuns: options.importRuns }, scope).then((r) => [r]);
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    const parsed = parseOptions(process.argv.slice(2));
    if (parsed === 'help') {
      process.stdout.write(`${usage()}\n`);
      return 0;
    }
    options = parsed;
  } catch (error) {
    process.stderr.write(`${describe(error)}\n\n${usage()}\n`);
    return 2;
  }
  // LocalBus adds one abort listener per running execution to one signal: hundreds in a burst, by design.
  setMaxListeners(0);

  const started = performance.now();
  const figures: Figure[] = [];
  const problems: string[] = [];
  const timings: Record<string, number> = {};
  const out = resolve(options.out);
  const log = (text: string) => process.stdout.write(`${text}\n`);
  log(`Benchmark: ${options.only.join(', ')} -> ${out}`);

  const run = async (name: Section) => {
    const t0 = performance.now();
    log(`\n[${new Date().toISOString()}] ${name}...`);
    const { result, error, cleanup } = await inScope((scope) => section(name, options, scope));
    timings[name] = round((performance.now() - t0) / 1000, 1);
    for (const s of result ?? []) {
      log(formatSection(s));
      figures.push(...s.figures);
      problems.push(...s.problems.filter((p) => !p.startsWith('  ')).map((p) => `${s.title}: ${p}`));
    }
    if (error && !stopping) {
      const message = describe(error, true);
      log(`\n!! ${name} crashed: ${message}`);
      problems.push(`${name} crashed: ${describe(error)}`);
    }
    problems.push(...cleanup);
    log(`(${name}: ${timings[name]} s)`);
  };

  const selected = options.only;
  for (const name of selected.filter((s) => !NEEDS_DYNAMODB.includes(s) && s !== 'bundles')) await run(name);
  const withDynamo = selected.filter((s) => NEEDS_DYNAMODB.includes(s));
  if (withDynamo.length > 0) {
    const { error, cleanup } = await inScope(async (scope) => {
      const dynamo = await startDynamoDbLocal();
      scope.defer('DynamoDB Local', dynamo, () => dynamo.stop());
      process.env.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
      for (const name of withDynamo) await run(name);
    });
    if (error) problems.push(`DynamoDB Local: ${describe(error)}`);
    problems.push(...cleanup);
  }
  if (selected.includes('bundles')) await run('bundles');

  const wallTimeSeconds = round((performance.now() - started) / 1000, 1);
  await writeResults(out, {
    machine: machine(),
    options: describeOptions(options),
    wallTimeSeconds,
    figures: [
      ...figures,
      {
        name: 'bench.sectionWallTime',
        values: timings,
        unit: 's',
        method: 'wall time of each section of this run, setup and cleanup included (performance.now())',
      },
    ],
    problems,
  });
  log(`\nTotal wall time ${wallTimeSeconds} s; sections ${JSON.stringify(timings)}; results in ${out}`);
  if (problems.length > 0) {
    log(`\n!! ${problems.length} problem(s):`);
    for (const p of problems) log(`!! ${p}`);
  }
  return 0;
}

/** Stops what the open sections started (DynamoDB Local is a separate java process), then exits. */
function bail(reason: string, code: number): void {
  stopping = true;
  process.stderr.write(`\n${reason}: cleaning up...\n`);
  const deadline = Date.now() + 15_000;
  void (async () => {
    await Promise.allSettled([...open].reverse().map((scope) => scope.close()));
    // Sections unwind on their own once their servers are gone; scopes they open late close at once.
    while (open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    process.exit(code);
  })();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => bail(signal, 130));
process.once('uncaughtException', (error) => bail(`uncaught exception: ${describe(error, true)}`, 1));
process.once('unhandledRejection', (error) => bail(`unhandled rejection: ${describe(error, true)}`, 1));

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${describe(error, true)}\n`);
    process.exitCode = 1;
  },
);
