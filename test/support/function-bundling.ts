import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The options below, and nothing else, are translated; any other one makes {@link esbuildOptionsOf} throw. */
const TRANSLATED = new Set([
  'format',
  'target',
  'minify',
  'sourceMap',
  'sourceMapMode',
  'sourcesContent',
  'bundleAwsSDK',
  'externalModules',
  'mainFields',
]);

/**
 * esbuild JS API options for NodejsFunction's bundling options, as NodejsFunction passes them to the
 * esbuild CLI (aws-cdk-lib/aws-lambda-nodejs/lib/bundling.ts, `buildEsbuildArgs`). Throws on an option it
 * does not translate, so the bench and the bundle test never build something other than what CDK deploys.
 * `commandHooks` (copying files next to the bundle) does not change the bundle and is ignored.
 */
export function esbuildOptionsOf(bundling: BundlingOptions): BuildOptions {
  const unknown = Object.keys(bundling).filter((key) => key !== 'commandHooks' && !TRANSLATED.has(key));
  if (unknown.length) throw new Error(`bundling option(s) not translated: ${unknown.join(', ')}`);
  const mode = bundling.sourceMapMode ?? SourceMapMode.DEFAULT;
  const sourcemap =
    bundling.sourceMap || bundling.sourceMapMode
      ? mode === SourceMapMode.DEFAULT
        ? true
        : (mode as 'linked' | 'external' | 'inline' | 'both')
      : false;
  return {
    bundle: true,
    platform: 'node',
    format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs',
    ...(bundling.target ? { target: bundling.target } : {}),
    minify: bundling.minify ?? false,
    sourcemap,
    ...(bundling.sourcesContent === false ? { sourcesContent: false } : {}),
    ...(bundling.mainFields ? { mainFields: bundling.mainFields } : {}),
    // NodejsFunction leaves `@aws-sdk/*` to the runtime unless bundleAwsSDK is set.
    external: bundling.externalModules ?? (bundling.bundleAwsSDK ? [] : ['@aws-sdk/*']),
  };
}
