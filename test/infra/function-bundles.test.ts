import { build, type Metafile } from 'esbuild';
import { synthStack } from './support';
import { esbuildOptionsOf } from '../support/function-bundling';

/**
 * Every function bundled as CDK deploys it (its construct's bundling options through the same translation
 * the bench uses), in memory: what each bundle may carry and a size ceiling per kind. The bench
 * (`npm run bench -- --only bundles`) has the exact sizes and cold-import times.
 */
const { stack } = synthStack();
const functions = Object.entries(stack.controlPlane.functions);

const KIB = 1024;
/** A ceiling with room for dependency updates, under the 500 KiB goal; a wrong-way import adds tens to hundreds of KiB. */
const CEILING = 450 * KIB;

/** Files with code in the bundle (esbuild's metafile also lists files it read and then tree-shook away). */
const bundledFiles = (metafile: Metafile): string[] =>
  Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file),
  );
const packageOf = (file: string) =>
  /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split('/')[0] ?? file;

describe.each(functions)('the bundle of %s', (_name, fn) => {
  let bytes = 0;
  let inputs: string[] = [];
  let packages = new Set<string>();

  beforeAll(async () => {
    const result = await build({
      ...esbuildOptionsOf(fn.bundling),
      entryPoints: [fn.entry],
      outfile: 'index.js',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    bytes = result.outputFiles.find((f) => f.path.endsWith('index.js'))?.contents.length ?? 0;
    inputs = bundledFiles(result.metafile);
    packages = new Set(inputs.map(packageOf));
  });

  it('stays under its size ceiling', () => {
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(CEILING);
  });

  it('carries no build-time code: CDK, cdk-nag, OpenAPI generation, local mode, the CLI', () => {
    for (const pkg of ['aws-cdk-lib', 'constructs', 'cdk-nag', 'zod-openapi', 'aws-local-stepfunctions'])
      expect(packages).not.toContain(pkg);
    expect(inputs.filter((file) => /^(lib|bin|test|lambdas\/(local|cli))\//.test(file))).toEqual([]);
  });

  it('tree-shakes zod: no locale but English (`import * as z`, not the `z` object, lets esbuild drop them)', () => {
    expect(inputs.filter((file) => /zod\/v4\/locales\/(?!en\.js)/.test(file))).toEqual([]);
  });

  it("carries no HTTP client: the TFC tasks use the runtime's fetch", () => {
    expect(packages.has('undici')).toBe(false);
  });

  it("carries undici's Agent and request() without its entry point (fetch, WebSocket, cache stores)", () => {
    expect(
      inputs.filter((file) => /undici\/(index\.js|lib\/(web\/websocket|cache|mock)\/)/.test(file)),
    ).toEqual([]);
  });

  it('carries no AWS SDK: the Lambda runtime ships it', () => {
    expect([...packages].filter((pkg) => /^@(aws-sdk|smithy)\//.test(pkg))).toEqual([]);
  });
});
