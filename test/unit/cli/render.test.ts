import { ApiAnswerError } from '../../../lambdas/cli/errors';
import { formatElapsed, renderApiError, renderList, renderTenant, table } from '../../../lambdas/cli/render';
import { harness, LOCAL, record, tenantView } from './harness';

describe('human rendering', () => {
  it('summarizes a tenant: status, tier, run, variables, outputs with sensitive ones redacted', () => {
    expect(renderTenant(tenantView({ decommissionDate: '2030-06-30' }))).toBe(
      [
        'acme  ready',
        '  tier          small',
        '  run           run-xyz789 (applied)',
        '  workspace     ws-abc123',
        '  decommission  2030-06-30',
        '  variables     region=eu-west-1',
        '  last action   create by api:arn:aws:iam::123456789012:role/ops',
        '  created       2030-01-01T10:00:00.000Z',
        '  updated       2030-01-01T10:05:00.000Z',
        '',
        'Outputs:',
        '  NAME         VALUE',
        '  bucket       acme-data',
        '  db_password  (sensitive)',
        '',
      ].join('\n'),
    );
  });

  it('redacts an output named sensitive even if a value came with it, and shows non-strings as JSON', () => {
    const text = renderTenant(
      tenantView({ outputs: { token: 's3cr3t', ports: [80, 443] }, sensitiveOutputs: ['token', 'key'] }),
    );

    expect(text).not.toContain('s3cr3t');
    expect(text).toContain('  key    (sensitive)');
    expect(text).toContain('  token  (sensitive)');
    expect(text).toContain('  ports  [80,443]');
  });

  it('shows a tenant without run, outputs or variables with dashes, and its last error', () => {
    const text = renderTenant(
      tenantView({
        status: 'failed',
        run: null,
        workspaceId: null,
        variables: {},
        outputs: {},
        sensitiveOutputs: [],
        lastError: { code: 'RUN_ERRORED', message: 'terraform apply failed', at: '2030-01-01T10:04:00Z' },
      }),
    );

    expect(text).toMatch(/^acme {2}failed$/m);
    expect(text).toContain('  run           -\n');
    expect(text).toContain('  variables     -\n');
    expect(text).toContain('Outputs: none');
    expect(text).toContain('Last error:\n  RUN_ERRORED: terraform apply failed (at 2030-01-01T10:04:00Z)\n');
  });

  it('shows a retry in progress under the run, and nothing when there is none', () => {
    const text = renderTenant(
      tenantView({
        status: 'creating',
        retrying: {
          reason: 'TFC answered 503 Service Unavailable at app.terraform.io',
          attempt: 2,
          maxAttempts: 5,
          since: '2030-01-01T10:00:01.000Z',
          at: '2030-01-01T10:00:02.000Z',
        },
      }),
    );

    expect(text).toContain(
      '  run           run-xyz789 (applied)\n' +
        '  retrying      TFC answered 503 Service Unavailable at app.terraform.io, attempt 2 of 5 (since 2030-01-01T10:00:01.000Z)\n',
    );
    expect(renderTenant(tenantView())).not.toContain('retrying');
  });

  it('lists tenants as a table and says how to get the next page', () => {
    const page = {
      items: [
        tenantView(),
        tenantView({
          tenantCode: 'globex-eu',
          status: 'creating',
          run: null,
          decommissionDate: '2030-06-30',
        }),
      ],
      nextToken: 'tok/2+',
    };

    expect(renderList(page)).toBe(
      [
        'CODE       STATUS    TIER   RUN                   DECOMMISSION  UPDATED',
        'acme       ready     small  run-xyz789 (applied)  -             2030-01-01T10:05:00.000Z',
        'globex-eu  creating  small  -                     2030-06-30    2030-01-01T10:05:00.000Z',
        '',
        'More tenants: add --all, or --next-token tok/2+',
        '',
      ].join('\n'),
    );
    expect(renderList({ items: [] })).toBe('No tenants.\n');
  });

  it('prints an API error as code: message, with validation details one per line', () => {
    const error = new ApiAnswerError(400, 'VALIDATION_ERROR', 'invalid request body', [
      { path: 'decommissionDate', message: 'must be in the future' },
    ]);

    expect(renderApiError(error)).toBe(
      'error: VALIDATION_ERROR: invalid request body (HTTP 400)\n  - decommissionDate: must be in the future\n',
    );
  });

  it.each([
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m00s'],
    [605_000, '10m05s'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });

  it('pads table columns and trims trailing blanks', () => {
    expect(
      table(
        [
          ['a', 'bb', ''],
          ['ccc', 'd', 'e'],
        ],
        '> ',
      ),
    ).toBe('> a    bb\n> ccc  d   e');
  });
});

describe('tenantctl get and list output', () => {
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness();
  });
  afterEach(async () => {
    h.agent.assertNoPendingInterceptors();
    await h.agent.close();
  });

  it('get prints the human summary on stdout', async () => {
    record(h.local(), { path: '/tenants/acme', method: 'GET' }, 200, tenantView());

    const result = await h.run(['get', 'acme']);

    expect(result).toEqual({ code: 0, stdout: renderTenant(tenantView()), stderr: '' });
  });

  it('get --json prints the tenant exactly as answered, unknown fields included, and nothing else', async () => {
    const answered = { ...tenantView(), futureField: { x: 1 } };
    record(h.local(), { path: '/tenants/acme', method: 'GET' }, 200, answered);

    const result = await h.run(['get', 'acme', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(answered);
    expect(result.stderr).toBe('');
  });

  it('list --all --json follows nextToken and prints every item in one list', async () => {
    const pool = h.local();
    const first = record(pool, { path: '/tenants?status=ready&limit=1', method: 'GET' }, 200, {
      items: [tenantView()],
      nextToken: 'a+b/c=',
    });
    const second = record(
      pool,
      { path: '/tenants?status=ready&limit=1&nextToken=a%2Bb%2Fc%3D', method: 'GET' },
      200,
      {
        items: [tenantView({ tenantCode: 'globex' })],
      },
    );

    const result = await h.run(['list', '--status', 'ready', '--limit', '1', '--all', '--json']);

    expect(result.code).toBe(0);
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toEqual({
      items: [tenantView(), tenantView({ tenantCode: 'globex' })],
    });
  });

  it('list without --all keeps the nextToken, in JSON too', async () => {
    record(h.local(), { path: '/tenants', method: 'GET' }, 200, { items: [tenantView()], nextToken: 'n1' });

    const result = await h.run(['list', '--json']);

    expect(JSON.parse(result.stdout)).toEqual({ items: [tenantView()], nextToken: 'n1' });
  });

  it('a write without --wait shows the accepted tenant and how to follow it', async () => {
    const creating = tenantView({ status: 'creating', run: null, outputs: {}, sensitiveOutputs: [] });
    const seen = record(h.local(), { path: '/tenants', method: 'POST' }, 202, creating);

    const result = await h.run(['create', 'acme', '--tier', 'medium', '--var', 'region=eu-west-1']);

    expect(result.code).toBe(0);
    expect(seen[0]?.body).toEqual({ tenantCode: 'acme', tier: 'medium', variables: { region: 'eu-west-1' } });
    expect(result.stdout).toBe(renderTenant(creating));
    expect(result.stderr).toBe('acme is creating: follow it with `tenantctl get acme` or --wait\n');
  });

  it('an answer that is not a tenant is an API error (exit 3)', async () => {
    record(h.local(), { path: '/tenants/acme', method: 'GET' }, 200, { hello: 'world' });

    const result = await h.run(['get', 'acme', '--endpoint', LOCAL]);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: UNEXPECTED_RESPONSE: the API answered 200 but not with a tenant/);
  });
});
