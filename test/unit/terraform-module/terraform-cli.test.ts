import type { SpawnSyncReturns } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { LOCAL_MODULE_DIR, MODULE_ROOT } from './hcl';

const REPO_ROOT = dirname(MODULE_ROOT);
const TERRAFORM_TIMEOUT_MS = 120_000;

/** Working files Terraform leaves behind; none may be created in the source tree. */
const isArtefact = (name: string): boolean =>
  name === '.terraform' || name === '.terraform.lock.hcl' || name.includes('.tfstate') || name === 'tfplan';

function artefactsUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (isArtefact(entry.name)) return [relative(REPO_ROOT, path)];
    return entry.isDirectory() ? artefactsUnder(path) : [];
  });
}

function terraform(args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync('terraform', args, {
    cwd,
    encoding: 'utf8',
    timeout: TERRAFORM_TIMEOUT_MS,
    // No update check, no prompts: the machines running this have no registry access.
    env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
  });
}

/** The command's output, for failure messages that show what Terraform said. */
const transcript = (result: SpawnSyncReturns<string>): string =>
  `exit ${String(result.status)}\n${result.stdout}\n${result.stderr}`;

describe('terraform CLI on terraform-module', () => {
  let workDir: string;
  let artefactsBefore: string[];

  beforeAll(() => {
    const version = terraform(['version', '-json'], REPO_ROOT);
    if (version.error) {
      throw new Error(
        `the terraform CLI (>= 1.9) must be on the PATH for these tests: ${version.error.message}`,
      );
    }
    artefactsBefore = artefactsUnder(MODULE_ROOT);
    // A copy, so that init/test state never lands next to the sources.
    workDir = mkdtempSync(join(tmpdir(), 'tenant-module-'));
    cpSync(LOCAL_MODULE_DIR, workDir, { recursive: true, filter: (src) => !isArtefact(basename(src)) });
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('is recent enough for cross-variable validation and terraform test', () => {
    const { terraform_version: version } = JSON.parse(terraform(['version', '-json'], REPO_ROOT).stdout) as {
      terraform_version: string;
    };
    const [major = 0, minor = 0] = version.split('.').map(Number);

    expect(major > 1 || (major === 1 && minor >= 9)).toBe(true);
  });

  it('finds every file formatted (terraform fmt -check -recursive)', () => {
    const result = terraform(['fmt', '-check', '-recursive', '-no-color', 'terraform-module'], REPO_ROOT);

    expect({ status: result.status, unformatted: result.stdout.trim() }).toEqual({
      status: 0,
      unformatted: '',
    });
  });

  it(
    'initialises the local module without downloading anything',
    () => {
      const result = terraform(['init', '-backend=false', '-input=false', '-no-color'], workDir);

      expect(transcript(result)).toMatch(/^exit 0\n/);
      expect(result.stdout).not.toMatch(/Installing|Downloading/);
    },
    TERRAFORM_TIMEOUT_MS,
  );

  it(
    'passes the local module tests (terraform test)',
    () => {
      const result = terraform(['test', '-no-color'], workDir);

      expect(transcript(result)).toMatch(/^exit 0\n[\s\S]*Success! \d+ passed, 0 failed\./);
    },
    TERRAFORM_TIMEOUT_MS,
  );

  it('leaves no .terraform, lock or state file in the source tree', () => {
    expect(artefactsUnder(MODULE_ROOT)).toEqual(artefactsBefore);
  });
});
