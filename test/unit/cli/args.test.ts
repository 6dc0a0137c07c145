import { parseCommandLine } from '../../../lambdas/cli/args';
import { UsageError } from '../../../lambdas/cli/errors';
import { harness } from './harness';

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected ${argv.join(' ')} to be a usage error`);
}

describe('parseCommandLine', () => {
  describe('good command lines', () => {
    it('parses create with tier, repeated --var, a date and --wait with defaults', () => {
      const { command, global } = parseCommandLine([
        'create',
        'acme-01',
        '--tier',
        'large',
        '--var',
        'region=eu-west-1',
        '--var',
        'dsn=postgres://u@h/db?x=1',
        '--decommission-date',
        '2030-02-28',
        '--wait',
      ]);

      expect(command).toEqual({
        kind: 'create',
        tenantCode: 'acme-01',
        body: {
          tier: 'large',
          variables: { region: 'eu-west-1', dsn: 'postgres://u@h/db?x=1' },
          decommissionDate: '2030-02-28',
        },
        wait: { timeoutMs: 600_000, intervalMs: 1000 },
      });
      expect(global).toEqual({ sigv4: false, json: false });
    });

    it('leaves unset fields absent, so the API applies its defaults', () => {
      expect(parseCommandLine(['create', 'acme']).command).toEqual({
        kind: 'create',
        tenantCode: 'acme',
        body: {},
      });
    });

    it('accepts global options before or after the command', () => {
      const { command, global } = parseCommandLine([
        '--endpoint',
        'https://api.example.com/prod',
        'get',
        'acme',
        '--json',
        '--region',
        'eu-west-1',
        '--sigv4',
        '--host-header',
        'abc.execute-api.eu-west-1.amazonaws.com',
      ]);

      expect(command).toEqual({ kind: 'get', tenantCode: 'acme' });
      expect(global).toEqual({
        endpoint: 'https://api.example.com/prod',
        hostHeader: 'abc.execute-api.eu-west-1.amazonaws.com',
        region: 'eu-west-1',
        sigv4: true,
        json: true,
      });
    });

    it('parses list filters and paging', () => {
      expect(
        parseCommandLine(['list', '--status', 'failed', '--limit', '100', '--all', '--next-token', 'abc='])
          .command,
      ).toEqual({
        kind: 'list',
        status: 'failed',
        limit: 100,
        all: true,
        includeDeleted: false,
        nextToken: 'abc=',
      });
    });

    it('turns update --decommission-date none into null (clear the date)', () => {
      expect(parseCommandLine(['update', 'acme', '--decommission-date', 'none']).command).toEqual({
        kind: 'update',
        tenantCode: 'acme',
        changes: { decommissionDate: null },
      });
    });

    it('parses delete --yes --wait with fractional --timeout and --interval seconds', () => {
      expect(
        parseCommandLine(['delete', 'acme', '-y', '--wait', '--timeout', '90', '--interval', '0.5']).command,
      ).toEqual({
        kind: 'delete',
        tenantCode: 'acme',
        yes: true,
        wait: { timeoutMs: 90_000, intervalMs: 500 },
      });
    });

    it.each([
      [['--help'], undefined],
      [['-h'], undefined],
      [['help'], undefined],
      [['help', 'update'], 'update'],
      [['create', '--help'], 'create'],
      [['delete', 'not a code', '--help'], 'delete'],
    ])('%j asks for help (topic: %s)', (argv, topic) => {
      expect(parseCommandLine(argv).command).toEqual(topic ? { kind: 'help', topic } : { kind: 'help' });
    });
  });

  describe('bad command lines', () => {
    it.each([
      [[], /missing command/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['help', 'frobnicate'], /unknown command 'frobnicate'/],
      [['get'], /get needs a tenant code/],
      [['get', 'acme', 'extra'], /unexpected argument 'extra'/],
      [['list', 'acme'], /unexpected argument 'acme'/],
      [['get', 'Acme'], /invalid tenant code 'Acme'/],
      [['get', 'ab'], /invalid tenant code 'ab'/],
      [['get', '1abc'], /invalid tenant code '1abc'/],
      [['get', 'a'.repeat(33)], /invalid tenant code/],
      [['get', 'acme', '--bogus'], /Unknown option '--bogus'/],
      [['get', 'acme', '--tier', 'small'], /get does not take --tier/],
      [['list', '--yes'], /list does not take --yes/],
      [['create', 'acme', '--tier', 'huge'], /invalid --tier 'huge': use one of small, medium, large/],
      [['create', 'acme', '--tier'], /argument missing/],
      [['create', 'acme', '--var', 'novalue'], /invalid --var 'novalue': use --var name=value/],
      [['create', 'acme', '--var', '=x'], /invalid --var '=x'/],
      [['create', 'acme', '--var', 'a=1', '--var', 'a=2'], /--var a is given twice/],
      [['create', 'acme', '--var', '9lives=x'], /invalid --var: 9lives variable names are letters/],
      [['create', 'acme', '--var', 'tier=x'], /invalid --var: tier is set by the control plane/],
      [['create', 'acme', '--decommission-date', '2030-02-30'], /invalid --decommission-date '2030-02-30'/],
      [['create', 'acme', '--decommission-date', 'none'], /invalid --decommission-date 'none'/],
      [['create', 'acme', '--timeout', '5'], /--timeout only applies with --wait/],
      [['create', 'acme', '--wait', '--timeout', '0'], /invalid --timeout '0'/],
      [['create', 'acme', '--wait', '--interval', '-1'], /--interval/],
      [['list', '--status', 'gone'], /invalid --status 'gone'/],
      [['list', '--limit', '0'], /invalid --limit '0'/],
      [['list', '--limit', '101'], /invalid --limit '101'/],
      [['list', '--limit', '2.5'], /invalid --limit '2.5'/],
      [['list', '--module-version', 'latest'], /invalid --module-version 'latest'/],
      [['fleet', 'now'], /unexpected argument 'now'/],
      [['fleet', '--all'], /fleet does not take --all/],
    ])('%j is a usage error: %s', (argv, message) => {
      expect(usageError(argv).message).toMatch(message);
    });

    it('names the command whose help the message should point to', () => {
      expect(usageError(['create', 'acme', '--bogus']).command).toBe('create');
      expect(usageError(['frobnicate']).command).toBeUndefined();
    });
  });
});

describe('runCli on the command line', () => {
  // No interceptors: a request would fail to connect and exit 4.
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness();
  });
  afterEach(async () => {
    await h.agent.close();
  });

  it('exits 2 with the message and a pointer to the help, sending nothing', async () => {
    const result = await h.run(['create', 'Not_A_Code']);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "error: invalid tenant code 'Not_A_Code': must be 3-32 lowercase letters, digits or hyphens, " +
        'starting with a letter\nRun `tenantctl create --help` for usage.\n',
    });
  });

  it('exits 2 for an endpoint that is not an http(s) URL', async () => {
    const result = await h.run(['get', 'acme', '--endpoint', 'ftp://example.com']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid endpoint 'ftp://example.com'");
  });

  it('prints the tool help on stdout and exits 0', async () => {
    const result = await h.run(['--help']);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Usage: tenantctl <command> [options]');
    for (const command of ['create', 'get', 'list', 'update', 'delete']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(result.stdout).toContain('5  --wait timed out');
  });

  it('prints a command help with its own options, the global ones and the exit codes', async () => {
    const result = await h.run(['update', '--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: tenantctl update <code>');
    expect(result.stdout).toContain('--decommission-date D|none');
    expect(result.stdout).toContain('--timeout SECONDS');
    expect(result.stdout).toContain('--endpoint URL');
    expect(result.stdout).toContain('Exit codes:');
  });
});
