import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Disposer = () => Promise<void> | void;

/**
 * What a benchmark section started (servers, DynamoDB Local, temp dirs), stopped in reverse order when the
 * section ends, fails, or the run is interrupted.
 */
export class Scope {
  private readonly disposers: Array<{ label: string; dispose: Disposer }> = [];
  private closed = false;
  private late: Array<Promise<unknown>> = [];

  /**
   * Registers `dispose` to run when the scope closes; returns `value` for chaining. On a scope already
   * closed (an interrupted run whose section was still starting something) it runs at once.
   */
  public defer<T>(label: string, value: T, dispose: Disposer): T {
    if (this.closed) this.late.push(Promise.resolve().then(dispose));
    else this.disposers.push({ label, dispose });
    return value;
  }

  /** A fresh temp directory, removed when the scope closes. */
  public async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `tcp-bench-${prefix}-`));
    return this.defer(`temp dir ${dir}`, dir, () => rm(dir, { recursive: true, force: true }));
  }

  /** Runs every disposer, newest first; returns what failed instead of throwing halfway. */
  public async close(): Promise<string[]> {
    this.closed = true;
    const failures: string[] = [];
    while (this.disposers.length > 0) {
      const { label, dispose } = this.disposers.pop() as { label: string; dispose: Disposer };
      try {
        await dispose();
      } catch (error) {
        failures.push(
          `could not clean up ${label}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    await Promise.allSettled(this.late);
    return failures;
  }
}
