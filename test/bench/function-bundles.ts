import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { BUS_ENV } from '../../lambdas/handlers/api/wiring';
import type { Figure, SectionResult } from './report';
import type { Scope } from './scope';
import { median, round } from './stats';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');

export interface BundleOptions {
  /** Fresh `node` processes per bundle; the median is reported. */
  importRuns: number;
}

/** Dummy values: nothing at import may reach a network, and every address points at a closed local port. */
const NOWHERE = 'http://127.0.0.1:9';
const TABLE = { TABLE_NAME: 'bench-tenants', HISTORY_TABLE_NAME: 'bench-history' };
const LINKS = { TFC_ORGANIZATION: 'bench', ENVIRONMENT_NAME: 'bench' };
const COORDINATION = { COORDINATION_TABLE_NAME: 'bench-coordination' };
const TFC = {
  ...TABLE,
  ...COORDINATION,
  TFC_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tfc-token-AbCdEf',
  TFC_ADDRESS: NOWHERE,
  TFC_ORGANIZATION: 'bench',
  ENVIRONMENT_NAME: 'bench',
  POLL_INTERVAL_SECONDS: '120',
};
const TOPIC = { TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:tenant-lifecycle' };
const bus = (action: keyof typeof BUS_ENV) => ({ [BUS_ENV[action]]: `bench-${action}-requests` });
const writeApi = (action: keyof typeof BUS_ENV) => ({
  ...TABLE,
  ...LINKS,
  IDEMPOTENCY_TABLE_NAME: 'bench-idempotency',
  ...bus(action),
});

/**
 * Each function's entry and the environment its construct gives it (lib/constructs: the `bind*` calls and
 * `environment` props), besides the defaults every ControlPlaneFunction sets.
 */
const FUNCTIONS: Array<{ entry: string; env: Record<string, string> }> = [
  { entry: 'lambdas/handlers/api/create-tenant.ts', env: writeApi('create') },
  { entry: 'lambdas/handlers/api/get-tenant.ts', env: { ...TABLE, ...LINKS } },
  { entry: 'lambdas/handlers/api/list-tenants.ts', env: { ...TABLE, ...LINKS } },
  { entry: 'lambdas/handlers/api/get-tenant-history.ts', env: { ...TABLE, ...LINKS } },
  { entry: 'lambdas/handlers/api/update-tenant.ts', env: writeApi('update') },
  { entry: 'lambdas/handlers/api/delete-tenant.ts', env: writeApi('delete') },
  { entry: 'lambdas/handlers/flow/admit.ts', env: { ...TABLE, ...COORDINATION } },
  {
    entry: 'lambdas/handlers/flow/trigger.ts',
    env: { ...TFC, POLL_BUDGET: '90', TF_MODULE_DIR: './terraform-module' },
  },
  { entry: 'lambdas/handlers/flow/check.ts', env: TFC },
  { entry: 'lambdas/handlers/flow/finalize.ts', env: { ...TFC, ...TOPIC } },
  { entry: 'lambdas/handlers/ops/decommission.ts', env: { ...TABLE, ...bus('delete') } },
  {
    entry: 'lambdas/handlers/ops/reconciler.ts',
    env: {
      ...TABLE,
      ...bus('create'),
      ...bus('update'),
      ...bus('delete'),
      ...TOPIC,
      RECONCILE_REPUBLISH_AFTER_SECONDS: '900',
      RECONCILE_FAIL_AFTER_SECONDS: '7200',
      ...COORDINATION,
    },
  },
];

/** What ControlPlaneFunction sets on every function, and what the Lambda runtime provides. */
const BASE_ENV = {
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: 'tenant-control-plane',
  POWERTOOLS_METRICS_NAMESPACE: 'TenantControlPlane',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL: NOWHERE,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

interface Variant {
  name: string;
  external: string[];
  description: string;
}

/**
 * `deployed` is what ControlPlaneFunction asks NodejsFunction for (lib/constructs/control-plane-function.ts:
 * format cjs, target node20, minify, sourceMap, sourcesContent false, bundleAwsSDK true). `sdkExternal` is
 * NodejsFunction's default for Node 18+ runtimes without bundleAwsSDK: `@aws-sdk/*` left to the runtime.
 */
const VARIANTS: Variant[] = [
  { name: 'deployed', external: [], description: 'AWS SDK bundled (bundleAwsSDK: true, as lib/ configures)' },
  {
    name: 'sdkExternal',
    external: ['@aws-sdk/*'],
    description:
      "@aws-sdk/* external (NodejsFunction's default for Node >= 18 runtimes; cdk.json does not set the flag that also excludes @smithy/*), resolved from node_modules at import",
  },
];

/** Measures the import of one bundle in a fresh node process; returns milliseconds. */
const IMPORT_SCRIPT = [
  'const start = performance.now();',
  'const mod = require(process.argv[1]);',
  'const ms = performance.now() - start;',
  "if (typeof mod.handler !== 'function') { process.stderr.write('no handler export'); process.exit(2); }",
  'process.stdout.write(JSON.stringify({ ms }), () => process.exit(0));',
].join('\n');

async function coldImport(
  bundle: string,
  env: Record<string, string>,
  options: { nodePath?: string; sourceMaps: boolean },
): Promise<number> {
  const { stdout } = await run(process.execPath, ['-e', IMPORT_SCRIPT, bundle], {
    cwd: join(bundle, '..'),
    env: {
      PATH: process.env.PATH ?? '',
      ...BASE_ENV,
      ...env,
      ...(options.sourceMaps ? {} : { NODE_OPTIONS: '' }),
      ...(options.nodePath ? { NODE_PATH: options.nodePath } : {}),
    },
    timeout: 60_000,
  });
  return (JSON.parse(stdout) as { ms: number }).ms;
}

async function directoryBytes(dir: string, exclude: string[]): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (exclude.includes(entry.name)) continue;
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await directoryBytes(path, []) : (await stat(path)).size;
  }
  return total;
}

interface Measured {
  fn: string;
  variant: string;
  bytes: number;
  mapBytes: number;
  importMs: number[];
  /** The same without `--enable-source-maps` (deployed variant only). */
  importNoMapsMs: number[];
}

/**
 * Figure 6: each function bundled with esbuild's JS API the way NodejsFunction does, its size, and the time
 * a fresh node process takes to require it (module-scope clients and config included, as at a cold start).
 */
export async function functionBundles(options: BundleOptions, scope: Scope): Promise<SectionResult> {
  const outDir = await scope.tempDir('bundles');
  const present = FUNCTIONS.filter((f) => existsSync(join(ROOT, f.entry)));
  const missing = FUNCTIONS.filter((f) => !present.includes(f)).map((f) => f.entry);
  const measured: Measured[] = [];
  for (const variant of VARIANTS) {
    for (const fn of present) {
      const name = basename(fn.entry, '.ts');
      const outfile = join(outDir, variant.name, name, 'index.js');
      await build({
        entryPoints: [join(ROOT, fn.entry)],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        external: variant.external,
        tsconfig: join(ROOT, 'tsconfig.json'),
        outfile,
        logLevel: 'error',
      });
      const nodePath = variant.external.length ? join(ROOT, 'node_modules') : undefined;
      const importMs: number[] = [];
      const importNoMapsMs: number[] = [];
      for (let i = 0; i < options.importRuns; i += 1) {
        importMs.push(await coldImport(outfile, fn.env, { nodePath, sourceMaps: true }));
        if (variant.name === 'deployed')
          importNoMapsMs.push(await coldImport(outfile, fn.env, { nodePath, sourceMaps: false }));
      }
      measured.push({
        fn: name,
        variant: variant.name,
        bytes: (await stat(outfile)).size,
        mapBytes: (await stat(`${outfile}.map`)).size,
        importMs,
        importNoMapsMs,
      });
    }
  }
  const moduleBytes = await directoryBytes(join(ROOT, 'terraform-module', 'aws'), ['tests']);
  const esbuildOptions =
    'esbuild JS API: bundle, platform node, target node20, format cjs, minify, sourcemap (linked .map), sourcesContent false, tsconfig.json';
  const importMethod = (sourceMaps: boolean) =>
    `median of ${options.importRuns} fresh \`node\` processes (${process.version}) each requiring the bundle with the function's environment (dummy values; AWS endpoint and TFC address point at a closed 127.0.0.1 port) and ${sourceMaps ? 'NODE_OPTIONS=--enable-source-maps as ControlPlaneFunction sets' : 'without --enable-source-maps (what the flag costs)'}, printing the performance.now() delta around require(); not in a Lambda environment, so the Powertools tracer stays off`;
  const figures: Figure[] = [];
  for (const variant of VARIANTS) {
    const rows = measured.filter((m) => m.variant === variant.name);
    figures.push({
      name: `functionBundles.${variant.name}.bytes`,
      values: Object.fromEntries(rows.map((m) => [m.fn, m.bytes])),
      unit: 'bytes',
      method: `${esbuildOptions}; ${variant.description}; size of index.js (its .map ships too, not counted)`,
    });
    figures.push({
      name: `functionBundles.${variant.name}.coldImportMs`,
      values: Object.fromEntries(rows.map((m) => [m.fn, round(median(m.importMs), 1)])),
      unit: 'ms',
      method: `${importMethod(true)}; ${variant.description}`,
    });
    if (variant.name !== 'deployed') continue;
    figures.push({
      name: `functionBundles.${variant.name}.coldImportWithoutSourceMapsMs`,
      values: Object.fromEntries(rows.map((m) => [m.fn, round(median(m.importNoMapsMs), 1)])),
      unit: 'ms',
      method: `${importMethod(false)}; ${variant.description}`,
    });
  }
  const byFn = new Map<string, Measured[]>();
  for (const m of measured) byFn.set(m.fn, [...(byFn.get(m.fn) ?? []), m]);
  const kb = (bytes: number) => round(bytes / 1024, 0);
  return {
    title: '6. Function bundles (esbuild as NodejsFunction) and cold import',
    figures,
    tables: [
      {
        columns: [
          'function',
          'KiB (SDK bundled)',
          'map KiB',
          'import ms',
          'import ms (no maps)',
          'KiB (@aws-sdk external)',
          'import ms (external)',
        ],
        rows: [...byFn].map(([fn, list]) => {
          const deployed = list.find((m) => m.variant === 'deployed');
          const external = list.find((m) => m.variant === 'sdkExternal');
          return [
            fn,
            deployed ? kb(deployed.bytes) : null,
            deployed ? kb(deployed.mapBytes) : null,
            deployed ? round(median(deployed.importMs), 1) : null,
            deployed ? round(median(deployed.importNoMapsMs), 1) : null,
            external ? kb(external.bytes) : null,
            external ? round(median(external.importMs), 1) : null,
          ];
        }),
      },
    ],
    problems: missing.map((entry) => `no handler at ${entry}: not measured`),
    notes: [
      `the trigger's asset also carries terraform-module/aws without tests/ (${kb(moduleBytes)} KiB), copied by an afterBundling hook`,
      `import ms is the median of ${options.importRuns} fresh processes`,
    ],
  };
}
