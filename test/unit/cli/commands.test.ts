import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { harness, lines, record, tenantView } from './harness';

let h: ReturnType<typeof harness>;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

const VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

describe('update with no option (the retry)', () => {
  it('sends PATCH {} and follows it with --wait', async () => {
    const pool = h.local();
    const sent = record(
      pool,
      { path: '/tenants/acme', method: 'PATCH' },
      202,
      tenantView({ status: 'updating' }),
    );
    record(pool, { path: '/tenants/acme', method: 'GET' }, 200, tenantView());

    const result = await h.run(['update', 'acme', '--wait']);

    expect(result.code).toBe(0);
    expect(sent[0]?.body).toEqual({});
  });
});

describe('wait and get --wait', () => {
  it.each([[['wait', 'acme']], [['get', 'acme', '--wait']]])(
    '%j follows a tenant already on its way until it settles',
    async (argv) => {
      const pool = h.local();
      record(
        pool,
        { path: '/tenants/acme', method: 'GET' },
        200,
        tenantView({ status: 'creating', run: null }),
      );
      record(pool, { path: '/tenants/acme', method: 'GET' }, 200, tenantView({ status: 'failed' }));

      const result = await h.run([...argv, '--interval', '2']);

      expect(result.code).toBe(1);
      expect(lines(result.stderr)[0]).toBe('[0s] acme: creating, no run yet');
      expect(result.stdout).toContain('acme  failed');
    },
  );

  it('wait exits 5 when the timeout passes', async () => {
    record(h.local(), { path: '/tenants/acme', method: 'GET' }, 200, tenantView({ status: 'deleting' }), 3);

    const result = await h.run(['wait', 'acme', '--timeout', '2', '--interval', '1']);

    expect(result.code).toBe(5);
  });
});

describe('--version', () => {
  it.each([[['--version']], [['get', 'acme', '--version']]])(
    '%j prints the package version',
    async (argv) => {
      const result = await h.run(argv);

      expect(result).toEqual({ code: 0, stdout: `tenantctl ${VERSION}\n`, stderr: '' });
    },
  );
});

describe('list', () => {
  const page = {
    items: [
      tenantView({ tenantCode: 'zeta' }),
      tenantView({ tenantCode: 'alpha', status: 'deleted' }),
      tenantView({ tenantCode: 'mid', status: 'failed' }),
      tenantView({ tenantCode: 'beta' }),
    ],
  };

  it('sorts by code and leaves deleted tenants out, saying how many', async () => {
    record(h.local(), { path: '/tenants', method: 'GET' }, 200, page);

    const result = await h.run(['list']);

    expect(lines(result.stdout).map((l) => l.split(' ')[0])).toEqual(['CODE', 'beta', 'mid', 'zeta']);
    expect(result.stderr).toContain('1 deleted tenant(s) not shown: add --include-deleted');
  });

  it('shows deleted tenants with --include-deleted, and with --status deleted', async () => {
    record(h.local(), { path: '/tenants', method: 'GET' }, 200, page);
    record(h.local(), { path: '/tenants?status=deleted', method: 'GET' }, 200, {
      items: [tenantView({ tenantCode: 'alpha', status: 'deleted' })],
    });

    const all = await h.run(['list', '--include-deleted', '--json']);
    const deleted = await h.run(['list', '--status', 'deleted']);

    const codes = (JSON.parse(all.stdout) as { items: Array<{ tenantCode: string }> }).items.map(
      (t) => t.tenantCode,
    );
    expect(codes).toEqual(['alpha', 'beta', 'mid', 'zeta']);
    expect(deleted.stdout).toContain('alpha');
    expect(deleted.stderr).toBe('');
  });
});

describe('delete of a deleted tenant', () => {
  it('says so and exits 0', async () => {
    const pool = h.local();
    record(pool, { path: '/tenants/acme', method: 'DELETE' }, 409, {
      error: {
        code: 'TENANT_CONFLICT',
        message: "cannot delete tenant 'acme' while it is deleted",
        details: { currentStatus: 'deleted' },
      },
    });
    record(pool, { path: '/tenants/acme', method: 'GET' }, 200, tenantView({ status: 'deleted' }));

    const result = await h.run(['delete', 'acme', '--yes', '--wait']);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('acme is already deleted: nothing to do\n');
    expect(result.stdout).toContain('acme  deleted');
  });

  it('other conflicts still exit 3', async () => {
    record(h.local(), { path: '/tenants/acme', method: 'DELETE' }, 409, {
      error: { code: 'TENANT_CONFLICT', message: 'busy', details: { currentStatus: 'creating' } },
    });

    expect((await h.run(['delete', 'acme', '--yes'])).code).toBe(3);
  });
});

describe('help', () => {
  it('lists every exit code, 70 included, and every command', async () => {
    const result = await h.run(['--help']);

    for (const code of [0, 1, 2, 3, 4, 5, 70])
      expect(result.stdout).toMatch(new RegExp(`^  ${code}\\s+\\S`, 'm'));
    for (const command of ['wait', 'history', 'logs', 'ops', 'fleet', 'completion']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });
});

describe('fleet', () => {
  const fleet = {
    currentModuleVersion: 'v2+0123456789ab',
    total: 3,
    byStatus: { creating: 0, updating: 1, deleting: 0, ready: 2, failed: 0, deleted: 4 },
    byModuleVersion: { 'v2+0123456789ab': 1, 'v1+aaaaaaaaaaaa': 2 },
    behind: 2,
  };

  it('shows the current module version, who is behind, and the counts as tables', async () => {
    record(h.local(), { path: '/fleet', method: 'GET' }, 200, fleet);

    const result = await h.run(['fleet']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Current module version: v2+0123456789ab');
    expect(result.stdout).toContain('Tenants: 3 (not deleted), 2 behind the current version');
    expect(result.stdout).toMatch(/^deleted\s+4$/m);
    expect(result.stdout).toMatch(/^v1\+aaaaaaaaaaaa\s+2$/m);
    expect(result.stdout).toMatch(/^v2\+0123456789ab \(current\)\s+1$/m);
  });

  it('--json prints the answer as is', async () => {
    record(h.local(), { path: '/fleet', method: 'GET' }, 200, fleet);

    const result = await h.run(['fleet', '--json']);

    expect(JSON.parse(result.stdout)).toEqual(fleet);
  });

  it('list --module-version sends the filter', async () => {
    const sent = record(h.local(), { path: '/tenants?moduleVersion=v1%2Baaaaaaaaaaaa', method: 'GET' }, 200, {
      items: [tenantView()],
    });

    const result = await h.run(['list', '--module-version', 'v1+aaaaaaaaaaaa']);

    expect(result.code).toBe(0);
    expect(sent).toHaveLength(1);
  });
});

describe('history', () => {
  it('shows requests with their caller, runs with their status and status changes, newest first', async () => {
    record(h.local(), { path: '/tenants/acme/history?limit=2', method: 'GET' }, 200, {
      items: [
        {
          at: '2030-01-01T10:02:00Z',
          kind: 'status',
          flowId: 'f2',
          from: 'updating',
          to: 'failed',
          reason: 'RunFailed',
        },
        { at: '2030-01-01T10:01:30Z', kind: 'run', flowId: 'f2', runId: 'run-2', status: 'errored' },
      ],
      nextToken: 'tok',
    });
    record(h.local(), { path: '/tenants/acme/history?limit=2&nextToken=tok', method: 'GET' }, 200, {
      items: [
        {
          at: '2030-01-01T10:01:00Z',
          kind: 'request',
          action: 'update',
          requestedBy: 'api:alice',
          flowId: 'f2',
          changes: { tier: 'large' },
        },
      ],
    });

    const result = await h.run(['history', 'acme', '--limit', '2', '--all']);

    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      'AT                    KIND     WHAT                                  FLOW',
      '2030-01-01T10:02:00Z  status   updating -> failed: RunFailed         f2',
      '2030-01-01T10:01:30Z  run      run-2 errored                         f2',
      '2030-01-01T10:01:00Z  request  update by api:alice {"tier":"large"}  f2',
    ]);
  });

  it('exits 3 for a tenant that never existed', async () => {
    record(h.local(), { path: '/tenants/nobody/history', method: 'GET' }, 404, {
      error: { code: 'TENANT_NOT_FOUND', message: "tenant 'nobody' does not exist" },
    });

    expect((await h.run(['history', 'nobody'])).code).toBe(3);
  });
});

describe('logs', () => {
  it("prints the current run's output, or the run given with --run", async () => {
    const pool = h.local();
    record(
      pool,
      { path: '/tenants/acme', method: 'GET' },
      200,
      tenantView({ run: { id: 'run-cur', status: 'errored' } }),
    );
    record(
      pool,
      { path: '/tenants/acme/runs/run-cur/log', method: 'GET' },
      200,
      'Terraform init\nError: boom\n',
    );
    record(pool, { path: '/tenants/acme/runs/run-old/log', method: 'GET' }, 200, 'Apply complete!');

    const current = await h.run(['logs', 'acme']);
    const old = await h.run(['logs', 'acme', '--run', 'run-old']);

    expect(current).toEqual({ code: 0, stdout: 'Terraform init\nError: boom\n', stderr: '' });
    expect(old.stdout).toBe('Apply complete!\n');
  });

  it('says so when the tenant has no run', async () => {
    record(h.local(), { path: '/tenants/acme', method: 'GET' }, 200, tenantView({ run: null }));

    const result = await h.run(['logs', 'acme']);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('has no run recorded');
  });
});

describe('ops', () => {
  it('runs the decommission sweep as a dry run and the reconciler, printing their summaries', async () => {
    const pool = h.local();
    record(pool, { path: '/ops/decommission?dryRun=true', method: 'POST' }, 200, {
      dryRun: true,
      wouldStart: ['a'],
    });
    record(pool, { path: '/ops/reconcile', method: 'POST' }, 200, { examined: 0 });

    const sweep = await h.run(['ops', 'decommission', '--dry-run']);
    const reconcile = await h.run(['ops', 'reconcile']);

    expect(JSON.parse(sweep.stdout)).toEqual({ dryRun: true, wouldStart: ['a'] });
    expect(JSON.parse(reconcile.stdout)).toEqual({ examined: 0 });
  });

  it.each([[['ops']], [['ops', 'reconcile', '--dry-run']], [['ops', 'frob']]])(
    '%j is a usage error',
    async (argv) => {
      expect((await h.run(argv)).code).toBe(2);
    },
  );
});

describe('completion', () => {
  it.each(['bash', 'zsh'] as const)(
    'prints a %s script the shell accepts, naming every command',
    async (shell) => {
      const result = await h.run(['completion', shell]);

      expect(result.code).toBe(0);
      for (const command of ['create', 'get', 'list', 'update', 'delete', 'wait', 'history', 'logs']) {
        expect(result.stdout).toContain(command);
      }
    },
  );

  it('the bash script passes bash -n', async () => {
    const script = (await h.run(['completion', 'bash'])).stdout;

    await expect(promisify(execFile)('bash', ['-n', '-c', script])).resolves.toBeDefined();
  });

  it('bash completes commands and tiers', async () => {
    const script = (await h.run(['completion', 'bash'])).stdout;
    const complete = async (words: string[]) => {
      const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tenantctl; echo "\${COMPREPLY[*]}"`;
      return (await promisify(execFile)('bash', ['-c', program])).stdout.trim();
    };

    expect(await complete(['tenantctl', 'hi'])).toBe('history');
    expect(await complete(['tenantctl', 'create', 'acme', '--tier', 'l'])).toBe('large');
    expect(await complete(['tenantctl', 'completion', ''])).toBe('bash zsh');
  });
});
