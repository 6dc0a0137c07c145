import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type Metafile } from 'esbuild';
import { FUNCTION_BUNDLING, FUNCTION_ENVIRONMENT, TenantControlPlaneStack } from '../../lib';
import { esbuildOptionsOf } from '../support/function-bundling';
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

/** What the Lambda runtime provides (dummy credentials; the SDK endpoint is the closed port). */
const RUNTIME_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL: NOWHERE,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

interface FunctionUnderTest {
  name: string;
  entry: string;
  env: Record<string, string>;
  bundling: BundlingOptions;
}

/**
 * Every function of the synthesized control plane (bundling skipped), with its entry and the environment
 * its construct gives it: resource names and ARNs, which are tokens at synthesis, become dummy strings,
 * and the TFC address the closed port.
 */
function controlPlaneFunctions(): FunctionUnderTest[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new TenantControlPlaneStack(app, 'Bench', {
    environmentName: 'bench',
    tfc: { organization: 'bench' },
  });
  return Object.entries(stack.controlPlane.functions).map(([name, fn]) => {
    const cfn = fn.function.node.defaultChild as CfnFunction;
    const resolved = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
    const env = Object.fromEntries(
      Object.entries(resolved?.variables ?? {}).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : `bench-${key.toLowerCase()}`,
      ]),
    );
    if (env.TFC_ADDRESS) env.TFC_ADDRESS = NOWHERE;
    // The receiver's function URL is a token until deployed: the trigger checks it is a URL.
    if (env.TFC_NOTIFICATION_URL) env.TFC_NOTIFICATION_URL = `${NOWHERE}/tfc/notifications`;
    return { name, entry: relative(ROOT, fn.entry), env, bundling: fn.bundling };
  });
}

interface Variant {
  name: string;
  bundling: (deployed: BundlingOptions) => BundlingOptions;
  description: string;
}

/**
 * The credential sources of the SDK's default chain past the environment, which a bundled SDK leaves
 * external: Lambda puts the role's credentials in the environment, and the chain loads each later source
 * with a dynamic `import()` only when the ones before it found nothing.
 */
const CREDENTIAL_SOURCES_NEVER_REACHED = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

/**
 * `deployed` is what each ControlPlaneFunction asks NodejsFunction for (`fn.bundling`: FUNCTION_BUNDLING,
 * the AWS SDK left to the runtime, resolved from node_modules at import). `sdkBundled` is the same with the
 * SDK in the bundle: what the SDK decision compares against.
 */
const VARIANTS: Variant[] = [
  {
    name: 'deployed',
    bundling: (deployed) => deployed,
    description:
      'the bundling options of its ControlPlaneFunction (as deployed): @aws-sdk/* and @smithy/* left to the Lambda runtime, resolved from node_modules at import',
  },
  {
    name: 'sdkBundled',
    bundling: (deployed) => ({
      ...deployed,
      bundleAwsSDK: true,
      externalModules: CREDENTIAL_SOURCES_NEVER_REACHED,
    }),
    description: 'the same with the AWS SDK bundled, but for the credential sources a function never reaches',
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

/** `NODE_OPTIONS` with `--enable-source-maps` set or removed. */
function withSourceMaps(nodeOptions: string | undefined, on: boolean): string {
  const flags = (nodeOptions ?? '').split(/\s+/).filter((f) => f && f !== '--enable-source-maps');
  return (on ? [...flags, '--enable-source-maps'] : flags).join(' ');
}

async function coldImport(
  bundle: string,
  env: Record<string, string>,
  options: { nodePath?: string; sourceMaps: boolean },
): Promise<number> {
  const { stdout } = await run(process.execPath, ['-e', IMPORT_SCRIPT, bundle], {
    cwd: join(bundle, '..'),
    env: {
      PATH: process.env.PATH ?? '',
      ...RUNTIME_ENV,
      ...env,
      NODE_OPTIONS: withSourceMaps(env.NODE_OPTIONS, options.sourceMaps),
      ...(options.nodePath ? { NODE_PATH: options.nodePath } : {}),
    },
    timeout: 60_000,
  });
  return (JSON.parse(stdout) as { ms: number }).ms;
}

/** Bytes each package (or project directory) contributes to the bundle, largest first. */
function largestInputs(metafile: Metafile, count: number): Array<[string, number]> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split('/').slice(0, 2).join('/');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, count);
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
  /** Cold imports with `--enable-source-maps` in NODE_OPTIONS. */
  importMapsMs: number[];
  /** Cold imports without it. */
  importNoMapsMs: number[];
  largest: Array<[string, number]>;
}

/** Whether the deployed functions run with `--enable-source-maps`. */
const DEPLOYED_SOURCE_MAPS = (FUNCTION_ENVIRONMENT.NODE_OPTIONS ?? '')
  .split(/\s+/)
  .includes('--enable-source-maps');

/**
 * Figure 6: each function of the synthesized control plane bundled with esbuild's JS API from
 * FUNCTION_BUNDLING (the options ControlPlaneFunction gives NodejsFunction), its size, what takes the bytes
 * (esbuild's metafile), and the time a fresh node process takes to require it (module-scope clients and
 * config included, as at a cold start), with and without `--enable-source-maps`.
 */
export async function functionBundles(options: BundleOptions, scope: Scope): Promise<SectionResult> {
  const outDir = await scope.tempDir('bundles');
  const functions = controlPlaneFunctions();
  const present = functions.filter((f) => existsSync(join(ROOT, f.entry)));
  const missing = functions.filter((f) => !present.includes(f)).map((f) => f.entry);
  const measured: Measured[] = [];
  for (const variant of VARIANTS) {
    for (const fn of present) {
      const esbuildOptions = esbuildOptionsOf(variant.bundling(fn.bundling));
      const outfile = join(outDir, variant.name, fn.name, 'index.js');
      const result = await build({
        ...esbuildOptions,
        entryPoints: [join(ROOT, fn.entry)],
        outfile,
        metafile: true,
        logLevel: 'error',
      });
      const nodePath = esbuildOptions.external?.length ? join(ROOT, 'node_modules') : undefined;
      const importMapsMs: number[] = [];
      const importNoMapsMs: number[] = [];
      for (let i = 0; i < options.importRuns; i += 1) {
        importMapsMs.push(await coldImport(outfile, fn.env, { nodePath, sourceMaps: true }));
        importNoMapsMs.push(await coldImport(outfile, fn.env, { nodePath, sourceMaps: false }));
      }
      measured.push({
        fn: fn.name,
        variant: variant.name,
        bytes: (await stat(outfile)).size,
        mapBytes: existsSync(`${outfile}.map`) ? (await stat(`${outfile}.map`)).size : 0,
        importMapsMs,
        importNoMapsMs,
        largest: largestInputs(result.metafile, 4),
      });
    }
  }
  const moduleBytes = await directoryBytes(join(ROOT, 'terraform-module', 'aws'), ['tests']);
  const importMethod = (sourceMaps: boolean) =>
    `median of ${options.importRuns} fresh \`node\` processes (${process.version}) each requiring the bundle with the function's environment from the synthesized stack (dummy values for resource names; AWS endpoint and TFC address point at a closed 127.0.0.1 port) ${sourceMaps ? 'with' : 'without'} --enable-source-maps in NODE_OPTIONS (deployed: ${DEPLOYED_SOURCE_MAPS ? 'with' : 'without'}), printing the performance.now() delta around require(); not in a Lambda environment, so the Powertools tracer stays off`;
  const kb = (bytes: number) => round(bytes / 1024, 0);
  const figures: Figure[] = [];
  for (const variant of VARIANTS) {
    const rows = measured.filter((m) => m.variant === variant.name);
    const esbuildOptions = JSON.stringify(esbuildOptionsOf(variant.bundling(FUNCTION_BUNDLING)));
    figures.push({
      name: `functionBundles.${variant.name}.bytes`,
      values: Object.fromEntries(rows.map((m) => [m.fn, m.bytes])),
      unit: 'bytes',
      method: `esbuild JS API ${esbuildOptions}: ${variant.description}; size of index.js (its .map ships too, not counted)`,
    });
    figures.push({
      name: `functionBundles.${variant.name}.coldImportMs`,
      values: Object.fromEntries(
        rows.map((m) => [m.fn, round(median(DEPLOYED_SOURCE_MAPS ? m.importMapsMs : m.importNoMapsMs), 1)]),
      ),
      unit: 'ms',
      method: `${importMethod(DEPLOYED_SOURCE_MAPS)}; ${variant.description}`,
    });
    figures.push({
      name: `functionBundles.${variant.name}.coldImport${DEPLOYED_SOURCE_MAPS ? 'Without' : 'With'}SourceMapsMs`,
      values: Object.fromEntries(
        rows.map((m) => [m.fn, round(median(DEPLOYED_SOURCE_MAPS ? m.importNoMapsMs : m.importMapsMs), 1)]),
      ),
      unit: 'ms',
      method: `${importMethod(!DEPLOYED_SOURCE_MAPS)}; ${variant.description}`,
    });
    if (variant.name !== 'deployed') continue;
    figures.push({
      name: `functionBundles.${variant.name}.largestInputsKiB`,
      values: Object.fromEntries(
        rows.map((m) => [m.fn, m.largest.map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`).join(', ')]),
      ),
      unit: 'KiB',
      method:
        'esbuild metafile of the deployed bundle: bytesInOutput summed per package (or project directory), the four largest',
    });
  }
  const byFn = new Map<string, Measured[]>();
  for (const m of measured) byFn.set(m.fn, [...(byFn.get(m.fn) ?? []), m]);
  const ms = (list: number[]) => round(median(list), 1);
  return {
    title: '6. Function bundles (esbuild as NodejsFunction) and cold import',
    figures,
    tables: [
      {
        columns: [
          'function',
          'KiB',
          'map KiB',
          'import ms (maps flag)',
          'import ms (no flag)',
          'KiB (SDK bundled)',
          'import ms (bundled, no flag)',
        ],
        rows: [...byFn].map(([fn, list]) => {
          const deployed = list.find((m) => m.variant === 'deployed');
          const bundled = list.find((m) => m.variant === 'sdkBundled');
          return [
            fn,
            deployed ? kb(deployed.bytes) : null,
            deployed ? kb(deployed.mapBytes) : null,
            deployed ? ms(deployed.importMapsMs) : null,
            deployed ? ms(deployed.importNoMapsMs) : null,
            bundled ? kb(bundled.bytes) : null,
            bundled ? ms(bundled.importNoMapsMs) : null,
          ];
        }),
      },
      {
        columns: ['function', 'largest inputs of the deployed bundle (KiB)'],
        rows: measured
          .filter((m) => m.variant === 'deployed')
          .map((m) => [m.fn, m.largest.map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`).join(', ')]),
      },
    ],
    problems: missing.map((entry) => `no handler at ${entry}: not measured`),
    notes: [
      `deployed functions run ${DEPLOYED_SOURCE_MAPS ? 'with' : 'without'} --enable-source-maps (FUNCTION_ENVIRONMENT)`,
      `the trigger's asset also carries terraform-module/aws without tests/ (${kb(moduleBytes)} KiB), copied by an afterBundling hook`,
      `import ms is the median of ${options.importRuns} fresh processes`,
      'the deployed KiB leave out the AWS SDK, which the Lambda runtime ships; its import ms include loading it (from node_modules here)',
    ],
  };
}
