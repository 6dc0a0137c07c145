import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const SHIM = join(__dirname, '..', '..', '..', 'bin', 'tenantctl.js');

/** Runs the real executable from an unrelated directory; one smoke test of the shim, the rest is in-process. */
async function tenantctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SHIM, ...args], {
      cwd: tmpdir(),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('bin/tenantctl.js', () => {
  it('runs the TypeScript CLI from any working directory and sets the exit code', async () => {
    const help = await tenantctl('--help');
    const usage = await tenantctl('get', 'Not_A_Code');

    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: tenantctl <command> [options]');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("invalid tenant code 'Not_A_Code'");
  });
});
