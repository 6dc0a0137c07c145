import type { TenantView } from '../../../lambdas/core/tenant';
import { harness, lines, record, tenantView } from './harness';

const NO_OUTPUTS = { outputs: {}, sensitiveOutputs: [] };
const creating = (run: TenantView['run']) => tenantView({ status: 'creating', run, ...NO_OUTPUTS });

describe('--wait', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => {
    h.agent.assertNoPendingInterceptors();
    await h.agent.close();
  });

  /** The write answers `first`, then each GET answers the next state. */
  function flow(states: TenantView[], write = { path: '/tenants', method: 'POST' }, first = states[0]) {
    const pool = h.local();
    record(pool, write, 202, first ?? {});
    for (const state of states.slice(1)) record(pool, { path: '/tenants/acme', method: 'GET' }, 200, state);
  }

  describe('without a terminal', () => {
    beforeEach(() => {
      h = harness({ isTTY: false });
    });

    it('prints a line only when the status or the run status changes, and exits 0 on ready', async () => {
      flow([
        creating(null),
        creating(null),
        creating({ id: 'run-1', status: 'planning' }),
        creating({ id: 'run-1', status: 'planning' }),
        creating({ id: 'run-1', status: 'applying' }),
        tenantView(),
      ]);

      const result = await h.run(['create', 'acme', '--wait', '--interval', '2']);

      expect(result.code).toBe(0);
      expect(lines(result.stderr)).toEqual([
        '[0s] acme: creating, no run yet',
        '[4s] acme: creating, run planning',
        '[8s] acme: creating, run applying',
        '[10s] acme: ready, run applied',
      ]);
      expect(h.clock.sleeps).toEqual([2000, 2000, 2000, 2000, 2000]);
      expect(result.stdout).toContain('acme  ready');
      expect(result.stdout).toContain('db_password  (sensitive)');
    });

    it('shows a retry of an unreachable TFC while it happens: why, which attempt, since when', async () => {
      const retrying = (attempt: number) => ({
        reason: 'connection refused (ECONNREFUSED) at app.terraform.io',
        attempt,
        maxAttempts: 5,
        since: '2030-01-01T10:00:01.000Z',
        at: '2030-01-01T10:00:03.000Z',
      });
      flow([
        creating(null),
        tenantView({ status: 'creating', run: null, ...NO_OUTPUTS, retrying: retrying(3) }),
        tenantView({ status: 'creating', run: null, ...NO_OUTPUTS, retrying: retrying(5) }),
        creating({ id: 'run-1', status: 'planning' }),
        tenantView(),
      ]);

      const result = await h.run(['create', 'acme', '--wait', '--interval', '1']);

      expect(result.code).toBe(0);
      expect(lines(result.stderr)).toEqual([
        '[0s] acme: creating, no run yet',
        '[1s] acme: creating, no run yet, retrying: connection refused (ECONNREFUSED) at app.terraform.io, attempt 3 of 5 (since 2030-01-01T10:00:01.000Z)',
        '[2s] acme: creating, no run yet, retrying: connection refused (ECONNREFUSED) at app.terraform.io, attempt 5 of 5, the flow retries the step (since 2030-01-01T10:00:01.000Z)',
        '[3s] acme: creating, run planning',
        '[4s] acme: ready, run applied',
      ]);
    });

    it('exits 1 when the tenant ends failed, showing its last error', async () => {
      const lastError = {
        code: 'RUN_ERRORED',
        message: 'apply failed: quota exceeded',
        at: '2030-01-01T10:01:00Z',
      };
      flow(
        [
          tenantView({ status: 'updating', action: 'update' }),
          tenantView({
            status: 'failed',
            action: 'update',
            run: { id: 'run-2', status: 'errored' },
            lastError,
          }),
        ],
        { path: '/tenants/acme', method: 'PATCH' },
      );

      const result = await h.run(['update', 'acme', '--tier', 'large', '--wait']);

      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual([
        '[0s] acme: updating, run applied',
        '[1s] acme: failed, run errored',
        'error: acme failed: RUN_ERRORED: apply failed: quota exceeded (at 2030-01-01T10:01:00Z)',
      ]);
      expect(result.stdout).toContain('Last error:\n  RUN_ERRORED: apply failed: quota exceeded');
    });

    it('exits 5 when the timeout passes first, never sleeping past it', async () => {
      const pool = h.local();
      record(pool, { path: '/tenants', method: 'POST' }, 202, creating(null));
      const polls = record(pool, { path: '/tenants/acme', method: 'GET' }, 200, creating(null), 3);

      const result = await h.run(['create', 'acme', '--wait', '--timeout', '2.5', '--interval', '1']);

      expect(result.code).toBe(5);
      expect(polls).toHaveLength(3);
      expect(h.clock.sleeps).toEqual([1000, 1000, 500]);
      expect(lines(result.stderr)).toEqual([
        '[0s] acme: creating, no run yet',
        'error: gave up after 2.5s: acme is still creating (the flow goes on; check again with `tenantctl get acme`)',
      ]);
    });

    it('ends a delete on the deleted status (the row stays), exit 0', async () => {
      flow(
        [
          tenantView({ status: 'deleting', action: 'delete' }),
          tenantView({ status: 'deleted', action: 'delete' }),
        ],
        { path: '/tenants/acme', method: 'DELETE' },
      );

      const result = await h.run(['delete', 'acme', '--yes', '--wait']);

      expect(result.code).toBe(0);
      expect(lines(result.stderr).at(-1)).toBe('[1s] acme: deleted, run applied');
    });

    it('with --json prints only the final tenant on stdout; progress stays on stderr', async () => {
      flow([creating(null), tenantView()]);

      const result = await h.run(['create', 'acme', '--wait', '--json']);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(tenantView());
      expect(lines(result.stderr)).toHaveLength(2);
    });

    it('stops with exit 3 when a poll gets an API error', async () => {
      const pool = h.local();
      record(pool, { path: '/tenants', method: 'POST' }, 202, creating(null));
      record(pool, { path: '/tenants/acme', method: 'GET' }, 500, {
        error: { code: 'INTERNAL_ERROR', message: 'internal error' },
      });

      const result = await h.run(['create', 'acme', '--wait']);

      expect(result.code).toBe(3);
      expect(result.stderr).toContain('error: INTERNAL_ERROR: internal error (HTTP 500)');
    });
  });

  describe('on a terminal', () => {
    beforeEach(() => {
      h = harness({ isTTY: true });
    });

    it('redraws one progress line in place (spinner, status, run, elapsed), then leaves one final line', async () => {
      flow([creating(null), creating({ id: 'run-1', status: 'applying' }), tenantView()]);

      const result = await h.run(['create', 'acme', '--wait']);

      expect(result.code).toBe(0);
      const draws = result.stderr.split('\r\x1b[2K').filter((d) => d !== '');
      expect(draws).toEqual([
        '⠋ acme: creating, no run yet · 0s',
        '⠙ acme: creating, run applying · 1s',
        '⠹ acme: ready, run applied · 2s',
        'acme: ready, run applied after 2s\n',
      ]);
    });
  });
});
