import { MockAgent, type MockPool } from 'undici';
import type { TenantView } from '../../../lambdas/core/tenant';
import { runCli, type CliDeps } from '../../../lambdas/cli/run';
import type { Clock } from '../../../lambdas/cli/wait';

export const LOCAL = 'http://127.0.0.1:4000';
export const IDEMPOTENCY_KEY = '6f1c2c44-0000-4000-8000-000000000001';

/** A tenant as the API shows it; `ready` with one plain and one sensitive output unless overridden. */
export function tenantView(overrides: Partial<TenantView> = {}): TenantView {
  return {
    tenantCode: 'acme',
    status: 'ready',
    flowId: 'flow-1',
    version: 3,
    action: 'create',
    tier: 'small',
    variables: { region: 'eu-west-1' },
    decommissionDate: null,
    workspaceId: 'ws-abc123',
    queuedSince: null,
    retrying: null,
    run: { id: 'run-xyz789', status: 'applied' },
    outputs: { bucket: 'acme-data', db_password: '(sensitive)' },
    sensitiveOutputs: ['db_password'],
    moduleVersion: '3f2a9c4d1e0b',
    lastError: null,
    requestedBy: 'api:arn:aws:iam::123456789012:role/ops',
    createdAt: '2030-01-01T10:00:00.000Z',
    updatedAt: '2030-01-01T10:05:00.000Z',
    ...overrides,
  };
}

/** Virtual time: `sleep` returns at once and moves the clock on. */
export class FakeClock implements Clock {
  public readonly sleeps: number[] = [];
  private time = Date.parse('2030-01-01T10:00:00Z');

  public now(): number {
    return this.time;
  }

  public sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
    return Promise.resolve();
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HarnessOptions {
  isTTY?: boolean;
  stdinIsTTY?: boolean;
  env?: Record<string, string | undefined>;
}

/**
 * Runs the CLI in-process against a MockAgent that refuses any request nobody intercepted. `run` takes
 * per-call terminal and environment settings on top of the harness's own.
 */
export function harness(defaults: HarnessOptions = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const clock = new FakeClock();
  const run = async (
    argv: string[],
    deps: CliDeps = {},
    options: HarnessOptions = {},
  ): Promise<RunResult> => {
    const { isTTY = false, stdinIsTTY = isTTY, env = {} } = { ...defaults, ...options };
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      argv,
      {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        isTTY,
        stdinIsTTY,
        env,
      },
      { dispatcher: agent, clock, newIdempotencyKey: () => IDEMPOTENCY_KEY, ...deps },
    );
    return { code, stdout, stderr };
  };
  return { agent, clock, run, local: (): MockPool => agent.get(LOCAL) };
}

export interface RecordedRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Answers `times` matching requests with `status`/`data` and records what each one carried. */
export function record(
  pool: MockPool,
  match: { path: string; method: string },
  status: number,
  data: object | string,
  times = 1,
): RecordedRequest[] {
  const seen: RecordedRequest[] = [];
  pool
    .intercept(match)
    .reply((opts) => {
      const headers = Object.fromEntries(
        Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      const body = typeof opts.body === 'string' ? (JSON.parse(opts.body) as unknown) : undefined;
      seen.push({ path: opts.path, method: opts.method, headers, body });
      return { statusCode: status, data };
    })
    .times(times);
  return seen;
}

/** Lines of non-TTY output, without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
