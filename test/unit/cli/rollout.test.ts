import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseCommandLine } from '../../../lambdas/cli/args';
import { UsageError } from '../../../lambdas/cli/errors';
import { formatDuration, remainingMs } from '../../../lambdas/cli/rollout-render';
import { runCli } from '../../../lambdas/cli/run';
import { FakeClock, IDEMPOTENCY_KEY, lines, type RunResult } from './harness';
import { counts, RolloutApi, rolloutView } from './rollout-api';

const ID = 'ro-20300101t100000-3fa9c1';

let api: RolloutApi;
let endpoint: string;
let clock: FakeClock;
beforeEach(async () => {
  api = new RolloutApi();
  endpoint = await api.start();
  clock = new FakeClock();
});
afterEach(async () => {
  await api.stop();
});

/** Runs the CLI in-process against the local rollout API, over real HTTP, on virtual time. */
async function run(
  argv: string[],
  options: { isTTY?: boolean; columns?: number } = {},
): Promise<RunResult & { draws: string[] }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    argv,
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      isTTY: options.isTTY ?? false,
      ...(options.columns ? { columns: () => options.columns } : {}),
      env: { TENANTCTL_ENDPOINT: endpoint },
    },
    { clock, newIdempotencyKey: () => IDEMPOTENCY_KEY },
  );
  return { code, stdout, stderr, draws: stderr.split('\r\x1b[2K').filter((d) => d !== '') };
}

const running = (c: Parameters<typeof counts>[1]) => rolloutView({ counts: counts(30, c) });

describe('rollout start', () => {
  it('sends exactly the body the flags ask for, as a signed-off write (JSON, idempotency key)', async () => {
    api.on('POST', '/rollouts', { status: 202, body: rolloutView() });

    const result = await run([
      'rollout',
      'start',
      '--module-version',
      'v2+0123456789ab',
      '--tier',
      'large',
      '--tenant',
      'acme',
      '--tenant',
      'globex-2',
      '--status',
      'ready',
      '--status',
      'failed',
      '--max-concurrent',
      '10',
      '--canary',
      '0',
      '--max-failures',
      '3',
    ]);

    expect(result.code).toBe(0);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /rollouts']);
    expect(api.bodies('POST', '/rollouts')).toEqual([
      {
        moduleVersion: 'v2+0123456789ab',
        selector: { tier: 'large', tenantCodes: ['acme', 'globex-2'], statuses: ['ready', 'failed'] },
        maxConcurrent: 10,
        canary: 0,
        maxFailures: 3,
      },
    ]);
    expect(api.requests[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': IDEMPOTENCY_KEY,
    });
    expect(result.stdout).toMatch(new RegExp(`^${ID}  running$`, 'm'));
    expect(result.stderr).toBe(
      `${ID} is running: follow it with \`tenantctl rollout status ${ID} --wait\`\n`,
    );
  });

  it('sends {} without flags, so the API applies its defaults (current version, every tenant, 5/1/0)', async () => {
    api.on('POST', '/rollouts', { status: 202, body: rolloutView() });

    await run(['rollout', 'start']);

    expect(api.bodies('POST', '/rollouts')).toEqual([{}]);
  });

  it('--json prints only the rollout the API answered', async () => {
    const view = rolloutView({ selector: { tier: 'small' } });
    api.on('POST', '/rollouts', { status: 202, body: view });

    const result = await run(['rollout', 'start', '--tier', 'small', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(view);
    expect(result.stderr).toBe('');
  });

  it('shows the API judging a range: --max-concurrent 51 is its 400, exit 3, naming the field', async () => {
    const result = await run(['rollout', 'start', '--max-concurrent', '51']);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: VALIDATION_ERROR: .*\(HTTP 400\)\n {2}- maxConcurrent: /);
    expect(result.stdout).toBe('');
  });

  it('exits 3 on a conflict: a rollout of that module version is already active', async () => {
    api.on('POST', '/rollouts', {
      status: 409,
      body: {
        error: {
          code: 'ROLLOUT_CONFLICT',
          message: 'a rollout of module version v2+0123456789ab is already active',
          details: { rolloutId: ID, status: 'paused' },
        },
      },
    });

    const result = await run(['rollout', 'start']);

    expect(result.code).toBe(3);
    expect(lines(result.stderr)).toEqual([
      'error: ROLLOUT_CONFLICT: a rollout of module version v2+0123456789ab is already active (HTTP 409)',
      `  rolloutId: ${ID}`,
      '  status: paused',
    ]);
  });
});

describe('--wait without a terminal', () => {
  it('prints a plain line only when a count changes, and exits 0 when the rollout completes', async () => {
    api.on('POST', '/rollouts', { status: 202, body: running({}) });
    api.views(
      running({ inProgress: 1 }),
      running({ inProgress: 1 }),
      running({ succeeded: 1, inProgress: 5 }),
      running({ succeeded: 1, inProgress: 5 }),
      running({ succeeded: 20, skipped: 1, inProgress: 5 }),
      rolloutView({ status: 'completed', counts: counts(30, { succeeded: 29, skipped: 1 }) }),
    );

    const result = await run(['rollout', 'start', '--wait', '--interval', '2']);

    expect(result.code).toBe(0);
    expect(lines(result.stderr)).toEqual([
      `[0s] ${ID} running 0/30 done, 0 in flight, 0 failed`,
      `[2s] ${ID} running 0/30 done, 1 in flight, 0 failed`,
      `[6s] ${ID} running 1/30 done, 5 in flight, 0 failed`,
      `[10s] ${ID} running 21/30 done, 5 in flight, 0 failed`,
      `[12s] ${ID} completed 30/30 done, 0 in flight, 0 failed`,
    ]);
    expect(clock.sleeps).toEqual([2000, 2000, 2000, 2000, 2000, 2000]);
    expect(api.requests.filter((r) => r.method === 'GET')).toHaveLength(6);
    expect(result.stdout).toContain(`${ID}  completed`);
    expect(result.stdout).toMatch(
      /progress\s+30\/30 done \(29 succeeded, 0 failed, 1 skipped\), 0 in flight, 0 pending/,
    );
  });

  it('exits 1 when it halts, once the updates in flight are over; prints the reason and the failures', async () => {
    const failure = {
      tenantCode: 'acme',
      reason: 'RUN_ERRORED: apply failed:\nquota exceeded',
      at: '2030-01-01T10:01:00.000Z',
    };
    const halted = (inProgress: number) =>
      rolloutView({
        status: 'halted',
        canary: 3,
        counts: counts(30, { succeeded: 2 - inProgress, failed: 1, inProgress }),
        failures: [failure],
        haltReason: 'canary tenant acme failed',
      });
    api.views(running({ inProgress: 3 }), halted(1), halted(0));

    const result = await run(['rollout', 'status', ID, '--wait']);

    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `[0s] ${ID} running 0/30 done, 3 in flight, 0 failed`,
      `[1s] ${ID} halted 2/30 done, 1 in flight, 1 failed`,
      `[2s] ${ID} halted 3/30 done, 0 in flight, 1 failed`,
      `error: ${ID} halted: canary tenant acme failed`,
      `hint: fix the cause (see Failures), then \`tenantctl rollout resume ${ID}\`, or cancel it`,
    ]);
    expect(result.stdout).toContain('Halt reason:\n  canary tenant acme failed');
    expect(result.stdout).toMatch(
      /Failures \(1\):\n {2}TENANT\s+AT\s+REASON\n {2}acme\s+2030-01-01T10:01:00.000Z\s+RUN_ERRORED: apply failed: quota exceeded\n/,
    );
    expect(result.stdout).toContain(
      'waves           canary of 3 alone, then up to 5 at once; halts at the first failure',
    );
  });

  it.each([
    ['paused', `${ID} is paused, nothing in flight: \`tenantctl rollout resume ${ID}\` goes on`],
    ['canceled', `${ID} is canceled: it starts no more tenants`],
  ] as const)('exits 0 when it is %s, saying so', async (status, message) => {
    api.views(rolloutView({ status, counts: counts(30, { succeeded: 4 }) }));

    const result = await run(['rollout', 'status', ID, '--wait']);

    expect(result.code).toBe(0);
    expect(lines(result.stderr).at(-1)).toBe(message);
  });

  it('exits 5 when the timeout passes first, never sleeping past it', async () => {
    api.views(running({ succeeded: 3, inProgress: 5 }));

    const result = await run(['rollout', 'status', ID, '--wait', '--timeout', '2.5', '--interval', '1']);

    expect(result.code).toBe(5);
    expect(clock.sleeps).toEqual([1000, 1000, 500]);
    expect(lines(result.stderr).at(-1)).toBe(
      `error: gave up after 2.5s: ${ID} is still running with 5 in flight ` +
        `(the rollout goes on; follow it again with \`tenantctl rollout status ${ID} --wait\`)`,
    );
  });

  it('rides out an API that cannot be reached for a while, keeping the last view, until the timeout', async () => {
    const view = (c: Parameters<typeof counts>[1]) => ({ status: 200, body: running(c) });
    // The client tries each request three times (waiting 0.25 s, then 0.5 s) before the wait sees the failure.
    const unavailable = {
      status: 503,
      body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'the control plane is restarting' } },
    };
    api.on(
      'GET',
      `/rollouts/${ID}`,
      view({ inProgress: 5 }),
      ...Array<'drop'>(3).fill('drop'),
      ...Array<typeof unavailable>(3).fill(unavailable),
      view({ succeeded: 5, inProgress: 5 }),
      ...Array<'drop'>(3).fill('drop'),
    );

    const result = await run(['rollout', 'status', ID, '--wait', '--interval', '10', '--timeout', '40']);

    expect(result.code).toBe(5);
    expect(lines(result.stderr)).toEqual([
      `[0s] ${ID} running 0/30 done, 5 in flight, 0 failed`,
      `[10s] ${ID} running 0/30 done, 5 in flight, 0 failed (as last seen: cannot reach the API (UND_ERR_SOCKET); still trying)`,
      `[21s] ${ID} running 0/30 done, 5 in flight, 0 failed (as last seen: the API answers 503 SERVICE_UNAVAILABLE; still trying)`,
      `[31s] ${ID} running 5/30 done, 5 in flight, 0 failed`,
      `[40s] ${ID} running 5/30 done, 5 in flight, 0 failed (as last seen: cannot reach the API (UND_ERR_SOCKET); still trying)`,
      `error: gave up after 40s: cannot reach the API (UND_ERR_SOCKET); ${ID} was last seen running with 5 in flight ` +
        `(the rollout goes on; follow it again with \`tenantctl rollout status ${ID} --wait\`)`,
    ]);
  });

  it('stops at an error that waiting does not mend: exit 3', async () => {
    api.on(
      'GET',
      `/rollouts/${ID}`,
      { status: 200, body: running({}) },
      {
        status: 500,
        body: { error: { code: 'INTERNAL_ERROR', message: 'internal error' } },
      },
    );

    const result = await run(['rollout', 'status', ID, '--wait']);

    expect(result.code).toBe(3);
    expect(lines(result.stderr).at(-1)).toBe('error: INTERNAL_ERROR: internal error (HTTP 500)');
  });

  it('--json with --wait prints only the final rollout on stdout; progress stays on stderr', async () => {
    const done = rolloutView({ status: 'completed', counts: counts(30, { succeeded: 30 }) });
    api.views(running({ inProgress: 1 }), done);

    const result = await run(['rollout', 'status', ID, '--wait', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(done);
    expect(lines(result.stderr)).toHaveLength(2);
  });
});

describe('--wait on a terminal', () => {
  it('redraws one bar in place: done/total, in flight, failed, ETA from the rate since the first poll', async () => {
    api.on('POST', '/rollouts', { status: 202, body: running({}) });
    api.views(
      running({ inProgress: 5 }),
      running({ succeeded: 5, inProgress: 5 }),
      running({ succeeded: 10, inProgress: 5 }),
      rolloutView({ status: 'completed', counts: counts(30, { succeeded: 30 }) }),
    );

    const result = await run(['rollout', 'start', '--wait', '--interval', '10'], { isTTY: true });

    expect(result.code).toBe(0);
    const bar = (n: number) => `[${'█'.repeat(n)}${'░'.repeat(20 - n)}]`;
    expect(result.draws).toEqual([
      `⠋ running ${bar(0)} 0/30 done · 0 in flight · 0 failed · ETA -- · ${ID}`,
      `⠙ running ${bar(0)} 0/30 done · 5 in flight · 0 failed · ETA -- · ${ID}`,
      // 5 done in 20 s since the first poll: 25 left at 4 s each; then 10 in 30 s: 20 left at 3 s each.
      `⠹ running ${bar(3)} 5/30 done · 5 in flight · 0 failed · ETA 1m40s · ${ID}`,
      `⠸ running ${bar(6)} 10/30 done · 5 in flight · 0 failed · ETA 1m00s · ${ID}`,
      `⠼ completed ${bar(20)} 30/30 done · 0 in flight · 0 failed · ETA -- · ${ID}`,
      `${ID} completed 30/30 done, 0 in flight, 0 failed after 40s\n`,
    ]);
    expect(result.stdout).toContain(`${ID}  completed`);
  });

  it('animates between polls: the spinner turns and the ETA counts down', async () => {
    /** Ticks the animation once in every sleep, before the time moves on. */
    class AnimatedClock extends FakeClock {
      private tick: (() => void) | undefined;
      public every(_ms: number, tick: () => void): () => void {
        this.tick = tick;
        return () => (this.tick = undefined);
      }
      public override async sleep(ms: number): Promise<void> {
        await super.sleep(ms / 2);
        this.tick?.();
        await super.sleep(ms / 2);
      }
    }
    clock = new AnimatedClock();
    api.views(
      running({ inProgress: 5 }),
      running({ succeeded: 10, inProgress: 5 }),
      rolloutView({ status: 'completed', counts: counts(30, { succeeded: 30 }) }),
    );

    const result = await run(['rollout', 'status', ID, '--wait', '--interval', '10'], { isTTY: true });

    const [final, ...redrawn] = [...result.draws].reverse();
    expect(redrawn.reverse().map((d) => `${d.slice(0, 1)} ${d.split(' · ')[3]}`)).toEqual([
      '⠋ ETA --',
      '⠙ ETA --',
      '⠹ ETA 20s',
      '⠸ ETA 15s',
      '⠼ ETA --',
    ]);
    expect(final).toBe(`${ID} completed 30/30 done, 0 in flight, 0 failed after 20s\n`);
  });

  it('cuts the line to the terminal width so it never wraps', async () => {
    api.views(rolloutView({ status: 'completed', counts: counts(30, { succeeded: 30 }) }));

    const result = await run(['rollout', 'status', ID, '--wait'], { isTTY: true, columns: 40 });

    expect(result.draws[0]).toHaveLength(39);
  });
});

describe('rollout status, list, pause, resume, cancel', () => {
  it('status without --wait shows the rollout and exits 0, whatever its status', async () => {
    api.views(rolloutView({ status: 'halted', haltReason: 'tenant acme failed' }));

    const result = await run(['rollout', 'status', ID]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${ID}  halted`);
    expect(result.stdout).toContain('tenants         every tenant that is not deleted');
  });

  it('exits 3 for a rollout that does not exist (404)', async () => {
    const result = await run(['rollout', 'status', 'ro-20300101t100000-000000', '--wait']);

    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      "error: ROLLOUT_NOT_FOUND: rollout 'ro-20300101t100000-000000' does not exist (HTTP 404)\n",
    );
  });

  it.each(['pause', 'resume', 'cancel'] as const)('%s POSTs to its route with no body', async (action) => {
    const status = { pause: 'paused', resume: 'running', cancel: 'canceled' } as const;
    api.on('POST', `/rollouts/${ID}/${action}`, {
      status: 202,
      body: rolloutView({ status: status[action] }),
    });

    const result = await run(['rollout', action, ID]);

    expect(result.code).toBe(0);
    expect(api.requests.map((r) => [r.method, r.path, r.text])).toEqual([
      ['POST', `/rollouts/${ID}/${action}`, ''],
    ]);
    expect(result.stdout).toContain(`${ID}  ${status[action]}`);
  });

  it('pause says the tenants in flight finish, and --wait follows it until they did', async () => {
    const paused = (inProgress: number) =>
      rolloutView({ status: 'paused', counts: counts(30, { succeeded: 5 - inProgress, inProgress }) });
    api.on('POST', `/rollouts/${ID}/pause`, { status: 202, body: paused(3) });
    api.views(paused(1), paused(0));

    const result = await run(['rollout', 'pause', ID, '--wait']);

    expect(result.code).toBe(0);
    expect(lines(result.stderr)).toEqual([
      `[0s] ${ID} paused 2/30 done, 3 in flight, 0 failed`,
      `[1s] ${ID} paused 4/30 done, 1 in flight, 0 failed`,
      `[2s] ${ID} paused 5/30 done, 0 in flight, 0 failed`,
      `${ID} is paused, nothing in flight: \`tenantctl rollout resume ${ID}\` goes on`,
    ]);
  });

  it('exits 3 when the API refuses the request in the rollout status (409)', async () => {
    api.on('POST', `/rollouts/${ID}/pause`, {
      status: 409,
      body: {
        error: { code: 'ROLLOUT_CONFLICT', message: `cannot pause rollout '${ID}' while it is completed` },
      },
    });

    expect((await run(['rollout', 'pause', ID])).code).toBe(3);
  });

  it('list shows one row per rollout, newest first as answered, and follows pages with --all', async () => {
    const older = rolloutView({
      rolloutId: 'ro-20291231t090000-abcdef',
      status: 'halted',
      moduleVersion: 'v1+aaaaaaaaaaaa',
      counts: counts(12, { succeeded: 4, failed: 1 }),
      createdAt: '2029-12-31T09:00:00.000Z',
    });
    api.on('GET', '/rollouts?limit=1', {
      status: 200,
      body: {
        items: [rolloutView({ counts: counts(30, { succeeded: 7, inProgress: 5 }) })],
        nextToken: 'tok',
      },
    });
    api.on('GET', '/rollouts?limit=1&nextToken=tok', { status: 200, body: { items: [older] } });

    const all = await run(['rollout', 'list', '--limit', '1', '--all']);
    const first = await run(['rollout', 'list', '--limit', '1', '--json']);

    expect(lines(all.stdout)).toEqual([
      'ROLLOUT                    STATUS   MODULE VERSION   DONE  IN FLIGHT  FAILED  CREATED',
      `${ID}  running  v2+0123456789ab  7/30  5          0       2030-01-01T10:00:00.000Z`,
      'ro-20291231t090000-abcdef  halted   v1+aaaaaaaaaaaa  5/12  0          1       2029-12-31T09:00:00.000Z',
    ]);
    expect((JSON.parse(first.stdout) as { nextToken?: string }).nextToken).toBe('tok');
  });

  it('list says when there is none', async () => {
    api.on('GET', '/rollouts', { status: 200, body: { items: [] } });

    expect((await run(['rollout', 'list'])).stdout).toBe('No rollouts.\n');
  });
});

describe('bad flags: exit 2 with a clear message, nothing sent', () => {
  it.each([
    [['rollout'], 'rollout needs one of start, status, list, pause, resume, cancel'],
    [['rollout', 'frob'], 'rollout needs one of start, status, list, pause, resume, cancel'],
    [['rollout', 'start', '--max-concurrent', 'five'], "invalid --max-concurrent 'five': use a whole number"],
    [['rollout', 'start', '--canary=-1'], "invalid --canary '-1': use a whole number"],
    [['rollout', 'start', '--max-failures', '1.5'], "invalid --max-failures '1.5': use a whole number"],
    [['rollout', 'start', '--tenant', 'Acme_1'], "invalid --tenant 'Acme_1': must be 3-32 lowercase"],
    [['rollout', 'start', '--tenant', 'acme', '--tenant', 'acme'], '--tenant acme is given twice'],
    [['rollout', 'start', '--status', 'deleted'], "invalid --status 'deleted': use one of creating,"],
    [['rollout', 'start', '--tier', 'huge'], "invalid --tier 'huge'"],
    [['rollout', 'start', '--module-version', 'latest'], "invalid --module-version 'latest'"],
    [['rollout', 'start', 'acme'], "unexpected argument 'acme'"],
    [['rollout', 'start', '--interval', '5'], '--interval only applies with --wait'],
    [['rollout', 'status'], 'rollout status needs a rollout id'],
    [['rollout', 'status', 'ro-1'], "invalid rollout id 'ro-1'"],
    [['rollout', 'cancel', 'RO-20300101T100000-3FA9C1'], "invalid rollout id 'RO-20300101T100000-3FA9C1'"],
    [['rollout', 'pause', ID, ID], `unexpected argument '${ID}'`],
    [['rollout', 'status', ID, '--tier', 'small'], 'rollout status does not take --tier'],
    [['rollout', 'list', '--wait'], 'rollout list does not take --wait'],
    [['rollout', 'list', '--limit', '0'], "invalid --limit '0'"],
    [['list', '--status', 'ready', '--status', 'failed'], 'list takes one --status'],
  ])('%j', async (argv, message) => {
    const result = await run(argv);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: ${message}`);
    expect(api.requests).toEqual([]);
  });

  it('points to the rollout help', () => {
    const error = (() => {
      try {
        parseCommandLine(['rollout', 'status', 'nope']);
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).command).toBe('rollout');
  });
});

describe('the ETA', () => {
  it('is the time left at the rate tenants got done since the first poll; unknown until one did', () => {
    expect(remainingMs({ at: 0, done: 0 }, { at: 0, done: 0 }, 30)).toBeUndefined();
    expect(remainingMs({ at: 0, done: 2 }, { at: 60_000, done: 2 }, 30)).toBeUndefined();
    expect(remainingMs({ at: 0, done: 2 }, { at: 60_000, done: 8 }, 32)).toBe(240_000);
  });

  it('reads as seconds, minutes or hours', () => {
    expect([0, 999, 59_000, 61_000, 3_600_000, 11_220_000].map(formatDuration)).toEqual([
      '0s',
      '1s',
      '59s',
      '1m01s',
      '1h00m',
      '3h07m',
    ]);
  });
});

describe('help and completion', () => {
  it('the tool help names rollout; its own help documents the exit codes of --wait', async () => {
    const tool = await run(['--help']);
    const own = await run(['rollout', '--help']);

    expect(tool.stdout).toMatch(/^ {2}rollout <start\|status\|list\|pause\|resume\|cancel>$/m);
    expect(own.stdout).toContain('tenantctl rollout pause|resume|cancel <id> [--wait]');
    expect(own.stdout).toContain('0 completed; 1 halted');
    expect(own.stdout).toContain('0 paused or canceled');
  });

  it('bash completes the subcommands, their flags and the statuses a selector may name', async () => {
    const script = (await run(['completion', 'bash'])).stdout;
    const complete = async (words: string[]) => {
      const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tenantctl; echo "\${COMPREPLY[*]}"`;
      return (await promisify(execFile)('bash', ['-c', program])).stdout.trim();
    };

    expect(await complete(['tenantctl', 'ro'])).toBe('rollout');
    expect(await complete(['tenantctl', 'rollout', ''])).toBe('start status list pause resume cancel');
    expect(await complete(['tenantctl', 'rollout', 'start', '--max-'])).toBe(
      '--max-concurrent --max-failures',
    );
    expect(await complete(['tenantctl', 'rollout', 'start', '--status', 'd'])).toBe('deleting');
    expect(await complete(['tenantctl', 'list', '--status', 'd'])).toBe('deleting deleted');
  });
});
