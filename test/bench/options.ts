import { parseArgs } from 'node:util';
import type { Scalar } from './report';

export const SECTIONS = ['onboarding', 'rollout', 'transitions', 'api', 'decommission', 'bundles'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  only: Section[];
  out: string;
  tenants: number;
  waitSeconds: number;
  notifications: 'on' | 'off';
  fallbackWaitSeconds: number;
  runDurationMs: number;
  burstTimeoutSeconds: number;
  steadyTenants: number;
  steadyIntervalMs: number;
  workers: number;
  runMinutes: number[];
  apiCreates: number;
  apiGets: number;
  apiWarmup: number;
  decommissionSizes: number[];
  decommissionDue: number;
  loadConcurrency: number;
  importRuns: number;
  rolloutMaxConcurrent: number;
  rolloutCanary: number;
  rolloutSampleMs: number;
}

type Kind = 'int' | 'number' | 'ints' | 'sections' | 'string' | 'seconds-or-auto';

interface Spec {
  key: keyof BenchOptions;
  kind: Kind;
  default: string;
  help: string;
}

/**
 * An uncontended tenant costs about 16 TFC requests; at 30/s that is 0.53 s per tenant of rate-limit
 * capacity alone. The automatic burst timeout leaves room for twice that, plus DynamoDB Local's writes.
 */
const AUTO_TIMEOUT_SECONDS_PER_TENANT = 1.2;
const MIN_AUTO_TIMEOUT_SECONDS = 120;

/**
 * Every setting, as `--flag value` or `BENCH_FLAG` in the environment (flag wins). The defaults keep a
 * whole run under 10 minutes on a 2-core machine; see test/bench/README.md.
 */
const SPECS: Record<string, Spec> = {
  only: {
    key: 'only',
    kind: 'sections',
    default: SECTIONS.join(','),
    help: `sections to run: ${SECTIONS.join(',')}`,
  },
  out: {
    key: 'out',
    kind: 'string',
    default: 'bench-results/latest.json',
    help: 'where the JSON results go',
  },
  tenants: {
    key: 'tenants',
    kind: 'int',
    default: '200',
    help: 'figures 1 and 7: tenants created at once (and rolled out)',
  },
  'wait-seconds': {
    key: 'waitSeconds',
    kind: 'number',
    default: '2',
    help: 'figures 1-2 and 7: local Wait state (LOCAL_WAIT_SECONDS; also the rollout watch interval)',
  },
  notifications: {
    key: 'notifications',
    kind: 'string',
    default: 'on',
    help: 'figures 1-2: run notifications on (flows wait for them, polling only as the fallback) or off (flows poll every --wait-seconds)',
  },
  'fallback-wait-seconds': {
    key: 'fallbackWaitSeconds',
    kind: 'number',
    default: '120',
    help: "figures 1-2 with notifications on: the flows' fallback Wait (AWS's default), so polling cannot be what finishes them; queued flows still ask every --wait-seconds",
  },
  'run-duration-ms': {
    key: 'runDurationMs',
    kind: 'int',
    default: '3000',
    help: 'figures 1-2 and 7: fake run length',
  },
  'burst-timeout': {
    key: 'burstTimeoutSeconds',
    kind: 'seconds-or-auto',
    default: 'auto',
    help: `figures 1 and 7: stop waiting after this many seconds (the rollout: twice this for the onboarding before it, then this for the rollout), unfinished tenants counting as failures (auto: ${AUTO_TIMEOUT_SECONDS_PER_TENANT} s per tenant, at least ${MIN_AUTO_TIMEOUT_SECONDS})`,
  },
  'steady-tenants': {
    key: 'steadyTenants',
    kind: 'int',
    default: '30',
    help: 'figure 2: tenants created one by one',
  },
  'steady-interval-ms': {
    key: 'steadyIntervalMs',
    kind: 'int',
    default: '1000',
    help: 'figure 2: time between them',
  },
  workers: {
    key: 'workers',
    kind: 'int',
    default: '8',
    help: 'figures 1-2: concurrent task workers, each its own TFC client, all one TFC user',
  },
  'run-minutes': {
    key: 'runMinutes',
    kind: 'ints',
    default: '1,5,20',
    help: 'figure 3: simulated run lengths',
  },
  'api-creates': { key: 'apiCreates', kind: 'int', default: '500', help: 'figure 4: creates measured' },
  'api-gets': { key: 'apiGets', kind: 'int', default: '2000', help: 'figure 4: gets measured' },
  'api-warmup': {
    key: 'apiWarmup',
    kind: 'int',
    default: '50',
    help: 'figure 4: warm-up creates (and 4x gets)',
  },
  'decommission-sizes': {
    key: 'decommissionSizes',
    kind: 'ints',
    default: '1000,10000,100000',
    help: 'figure 5: table sizes',
  },
  'decommission-due': { key: 'decommissionDue', kind: 'int', default: '10', help: 'figure 5: due tenants' },
  'load-concurrency': {
    key: 'loadConcurrency',
    kind: 'int',
    default: '16',
    help: 'figure 5: BatchWrites in flight',
  },
  'import-runs': { key: 'importRuns', kind: 'int', default: '3', help: 'figure 6: cold imports per bundle' },
  'rollout-max-concurrent': {
    key: 'rolloutMaxConcurrent',
    kind: 'int',
    default: '10',
    help: "figure 7: the rollout's maxConcurrent (the organization's run cap)",
  },
  'rollout-canary': {
    key: 'rolloutCanary',
    kind: 'int',
    default: '1',
    help: "figure 7: the rollout's canary",
  },
  'rollout-sample-ms': {
    key: 'rolloutSampleMs',
    kind: 'int',
    default: '250',
    help: 'figure 7: time between two looks at the rollout, the fleet and the fake',
  },
};

export class OptionsError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

function envName(flag: string): string {
  return `BENCH_${flag.replace(/-/g, '_').toUpperCase()}`;
}

function parseValue(flag: string, kind: Kind, raw: string): BenchOptions[keyof BenchOptions] {
  const fail = (what: string) => new OptionsError(`--${flag} (${envName(flag)}): ${what}, got '${raw}'`);
  const int = (text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw fail('expected a whole number >= 0');
    return n;
  };
  switch (kind) {
    case 'int':
      return int(raw);
    case 'number': {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw fail('expected a number > 0');
      return n;
    }
    case 'ints':
      return raw.split(',').map((part) => int(part.trim()));
    case 'sections': {
      const names = raw.split(',').map((part) => part.trim());
      const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (unknown.length) throw fail(`unknown section ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
      return names as Section[];
    }
    case 'string':
      return raw;
    case 'seconds-or-auto':
      return raw === 'auto' ? -1 : int(raw);
  }
}

export function usage(): string {
  const lines = Object.entries(SPECS).map(
    ([flag, spec]) => `  --${flag.padEnd(20)} ${spec.help} (default ${spec.default}; env ${envName(flag)})`,
  );
  return ['Usage: npm run bench -- [options]', '', ...lines, '  --help                 this text'].join('\n');
}

/** Reads the flags, then the BENCH_* environment, then the defaults. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean' },
      ...Object.fromEntries(Object.keys(SPECS).map((flag) => [flag, { type: 'string' as const }])),
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const options: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(SPECS)) {
    const raw = (values as Record<string, unknown>)[flag] as string | undefined;
    options[spec.key] = parseValue(flag, spec.kind, raw ?? env[envName(flag)] ?? spec.default);
  }
  const result = options as unknown as BenchOptions;
  if (result.burstTimeoutSeconds < 0) {
    result.burstTimeoutSeconds = Math.max(
      MIN_AUTO_TIMEOUT_SECONDS,
      Math.ceil(result.tenants * AUTO_TIMEOUT_SECONDS_PER_TENANT),
    );
  }
  return result;
}

/** The options as flat JSON for the results file. */
export function describeOptions(options: BenchOptions): Record<string, Scalar> {
  return Object.fromEntries(
    Object.entries(options).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.join(',') : (value as Scalar),
    ]),
  );
}
