import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * Dependencies point one way. Every import of the production code is read with the TypeScript parser and
 * checked against the layering: the CDK app (lib/) sees only the core and the contract modules, the core
 * sees no adapter, use case, handler or SDK, handler families do not import each other, and only bin/
 * starts local mode.
 */
const ROOT = resolve(__dirname, '../../..');

/** The modules the CDK app and the runtime share: env names, defaults, definition files. Plain data and zod. */
const isContract = (file: string) =>
  file === 'lambdas/handlers/contract.ts' || /^lambdas\/handlers\/[^/]+\/contract\.ts$/.test(file);
const isCore = (file: string) => file.startsWith('lambdas/core/');

/** A handler family: `lambdas/handlers/<family>/…`; files directly in `lambdas/handlers/` are shared. */
const familyOf = (file: string) => /^lambdas\/handlers\/([^/]+)\//.exec(file)?.[1];

/** Constructs every other construct may build on; any other construct is composed only by the root. */
const CONSTRUCT_BUILDING_BLOCKS = new Set([
  'lib/constructs/control-plane-function.ts',
  'lib/constructs/dead-letter-queue.ts',
  'lib/constructs/generated-secret.ts',
]);

const PACKAGES_IN_CORE = new Set(['zod', 'zod-openapi']);
const PACKAGES_IN_CONTRACTS = new Set(['zod']);

interface Import {
  from: string;
  /** Repository-relative file for a relative import, else the package name. */
  target: string;
  relative: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveRelative(from: string, specifier: string): string {
  const base = relative(ROOT, resolve(ROOT, dirname(from), specifier))
    .split('\\')
    .join('/');
  if (base.endsWith('.json') || base.endsWith('.ts') || base.endsWith('.js')) return base;
  const candidates = [`${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => PRODUCTION.has(c)) ?? `${base}.ts`;
}

function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return 'node:';
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function importsOf(file: string): Import[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles.map(({ fileName }) =>
    fileName.startsWith('.')
      ? { from: file, target: resolveRelative(file, fileName), relative: true }
      : { from: file, target: packageName(fileName), relative: false },
  );
}

const PRODUCTION = new Set([...sourceFiles('lib'), ...sourceFiles('lambdas'), ...sourceFiles('bin')]);
const IMPORTS = [...PRODUCTION].flatMap(importsOf);

/** A rule: which imports of which files are wrong, and why. */
const RULES: { name: string; applies: (file: string) => boolean; wrong: (i: Import) => boolean }[] = [
  {
    name: 'lib/ imports only lambdas/core/ and the contract modules',
    applies: (f) => f.startsWith('lib/'),
    wrong: (i) => i.relative && i.target.startsWith('lambdas/') && !isCore(i.target) && !isContract(i.target),
  },
  {
    name: 'a construct imports no other construct but the building blocks (the root composes them)',
    applies: (f) => f.startsWith('lib/constructs/'),
    wrong: (i) =>
      i.relative &&
      i.target.startsWith('lib/constructs/') &&
      !CONSTRUCT_BUILDING_BLOCKS.has(i.target) &&
      i.target !== i.from,
  },
  {
    name: 'the core imports only the core (and zod)',
    applies: isCore,
    wrong: (i) => (i.relative ? !isCore(i.target) : i.target !== 'node:' && !PACKAGES_IN_CORE.has(i.target)),
  },
  {
    name: 'a contract module imports only the core, other contracts, the config helpers and zod',
    applies: isContract,
    wrong: (i) =>
      i.relative
        ? !isCore(i.target) && !isContract(i.target) && i.target !== 'lambdas/shared/config.ts'
        : !PACKAGES_IN_CONTRACTS.has(i.target),
  },
  {
    name: 'a use case imports no adapter, handler, local mode or SDK',
    applies: (f) => f.startsWith('lambdas/use-cases/'),
    wrong: (i) =>
      i.relative
        ? /^lambdas\/(adapters|handlers|local|cli)\//.test(i.target)
        : i.target.startsWith('@aws-sdk/') || i.target === 'undici',
  },
  {
    name: 'an adapter imports no use case, handler or local mode (its port is in core/ports.ts)',
    applies: (f) => f.startsWith('lambdas/adapters/'),
    wrong: (i) => i.relative && /^lambdas\/(use-cases|handlers|local|cli)\//.test(i.target),
  },
  {
    name: "a handler family imports no other family's modules (only their contracts)",
    applies: (f) => familyOf(f) !== undefined,
    wrong: (i) => {
      const target = familyOf(i.target);
      return i.relative && target !== undefined && target !== familyOf(i.from) && !isContract(i.target);
    },
  },
  {
    name: 'production code never imports local mode (only bin/ starts it)',
    applies: (f) => !f.startsWith('lambdas/local/') && !f.startsWith('bin/'),
    wrong: (i) => i.relative && i.target.startsWith('lambdas/local/'),
  },
];

describe('import direction', () => {
  it('reads the production tree', () => {
    expect(PRODUCTION.size).toBeGreaterThan(100);
    expect(IMPORTS.filter((i) => i.from.startsWith('lib/') && isContract(i.target)).length).toBeGreaterThan(
      0,
    );
  });

  it.each(RULES.map((rule) => [rule.name, rule] as const))('%s', (_name, rule) => {
    const wrong = IMPORTS.filter((i) => rule.applies(i.from) && rule.wrong(i)).map(
      (i) => `${i.from} → ${i.target}`,
    );
    expect(wrong).toEqual([]);
  });

  it('every relative import resolves to a file of the tree', () => {
    const missing = IMPORTS.filter(
      (i) => i.relative && i.target.endsWith('.ts') && !PRODUCTION.has(i.target),
    ).map((i) => `${i.from} → ${i.target}`);
    expect(missing).toEqual([]);
  });

  it('a wrong-way import fails its rule', () => {
    const rule = (name: string) => RULES.find((r) => r.name.startsWith(name));
    const adapterFromLib: Import = {
      from: 'lib/constructs/private-api.ts',
      target: 'lambdas/adapters/tfc/client.ts',
      relative: true,
    };
    const sideways: Import = {
      from: 'lambdas/handlers/rollouts/wiring.ts',
      target: 'lambdas/handlers/api/wiring.ts',
      relative: true,
    };
    const sdkInCore: Import = {
      from: 'lambdas/core/ports.ts',
      target: '@aws-sdk/client-sfn',
      relative: false,
    };
    expect(rule('lib/')?.wrong(adapterFromLib)).toBe(true);
    expect(rule('a handler family')?.wrong(sideways)).toBe(true);
    expect(rule('the core')?.wrong(sdkInCore)).toBe(true);
  });
});
