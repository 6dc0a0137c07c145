import type { RunEnd } from '../../../lambdas/core/flow-state';
import type { FlowWaker } from '../../../lambdas/core/ports';
import { MAX_NOTIFICATION_BODY_BYTES, runNotificationPayload } from '../../../lambdas/core/run-notification';
import { parseTenantCode } from '../../../lambdas/core/tenant-code';
import type { TenantRow } from '../../../lambdas/core/tenant-row';
import { RunNotifications, type SignatureRejection } from '../../../lambdas/use-cases/run-notifications';
import { fixedClock } from '../../support/api';
import { MemoryTenantRepository } from '../../support/memory-tenant-repository';
import { signed, verificationPayload } from '../../support/run-notification-payload';

const TOKEN = 'hmac-token-of-the-configuration';
const NOW = '2026-12-02T07:00:00.000Z';
const code = parseTenantCode('acme');
const WORKSPACE = 'tenant-dev-acme';

/** A flow waker like Step Functions': each token it issued wakes once, then it is used up. */
class FakeFlowWaker implements FlowWaker {
  public readonly live = new Set<string>();
  public readonly wakes: Array<{ taskToken: string; end: RunEnd }> = [];
  public failWith?: Error;

  public wake(taskToken: string, end: RunEnd): Promise<boolean> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.wakes.push({ taskToken, end });
    return Promise.resolve(this.live.delete(taskToken));
  }
}

/** A tenant whose create flow started run `run-1` and waits for its end with `task-token-1`. */
function waitingRow(extra: Partial<TenantRow> = {}): TenantRow {
  return {
    tenantCode: code,
    status: 'creating',
    flowId: 'flow-1',
    version: 2,
    action: 'create',
    tier: 'medium',
    variables: {},
    workspaceId: 'ws-1',
    runId: 'run-1',
    runStatus: 'planning',
    requestedBy: 'api:alice',
    createdAt: '2026-12-02T06:50:00.000Z',
    updatedAt: '2026-12-02T06:55:00.000Z',
    waitToken: 'task-token-1',
    waitSince: '2026-12-02T06:55:01.000Z',
    ...extra,
  };
}

function notification(
  change: { runId?: string; workspaceName?: string; trigger?: string; runStatus?: string } = {},
) {
  return runNotificationPayload({
    configurationId: 'nc-1',
    runId: change.runId ?? 'run-1',
    runUrl: 'https://app.terraform.io/app/org/tenant-dev-acme/runs/run-1',
    workspaceId: 'ws-1',
    workspaceName: change.workspaceName ?? WORKSPACE,
    organizationName: 'org',
    trigger: change.trigger ?? 'run:completed',
    runStatus: change.runStatus ?? 'applied',
    message: 'Run Applied',
    createdAt: '2026-12-02T06:55:00.000Z',
    updatedAt: '2026-12-02T06:59:59.000Z',
  });
}

const VERIFICATION = verificationPayload('nc-1', 'tenants');

/** A body signed as TFC signs it. */
function signedRequest(payload: unknown, token = TOKEN) {
  const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return { body, signature: signed(body, token) };
}

function setup(row: TenantRow | null = waitingRow()) {
  const repository = new MemoryTenantRepository();
  if (row) repository.put(row);
  const waker = new FakeFlowWaker();
  if (row?.waitToken) waker.live.add(row.waitToken);
  const rejections: SignatureRejection[] = [];
  const lines: Array<{ level: string; message: string; attributes: Record<string, unknown> }> = [];
  let tokenReads = 0;
  const receiver = new RunNotifications({
    repository,
    waker,
    token: () => {
      tokenReads++;
      return Promise.resolve(TOKEN);
    },
    environment: 'dev',
    clock: fixedClock(NOW),
    onSignatureRejected: (reason) => rejections.push(reason),
    log: {
      info: (message, attributes = {}) => lines.push({ level: 'info', message, attributes }),
      warn: (message, attributes = {}) => lines.push({ level: 'warn', message, attributes }),
    },
  });
  const before = row ? repository.row(code) : undefined;
  /** Nothing changed: no write, no wake, the row as it was. */
  const unchanged = () => {
    expect(waker.wakes).toEqual([]);
    expect(repository.writes).toBe(0);
    expect(repository.row(code)).toEqual(before);
  };
  return { repository, waker, receiver, rejections, lines, unchanged, tokenReads: () => tokenReads };
}

const bodyOf = (answer: { body: string }) => JSON.parse(answer.body) as Record<string, unknown>;

describe('RunNotifications.receive', () => {
  describe('refuses before reading', () => {
    it('a body over the cap, before asking for the token or checking the signature (400)', async () => {
      const { receiver, unchanged, tokenReads, rejections } = setup();
      const request = signedRequest('x'.repeat(MAX_NOTIFICATION_BODY_BYTES + 1));
      const answer = await receiver.receive(request);
      expect(answer.statusCode).toBe(400);
      expect(bodyOf(answer)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
      expect(tokenReads()).toBe(0);
      expect(rejections).toEqual([]);
      unchanged();
    });

    it('a missing signature (401), counted', async () => {
      const { receiver, unchanged, rejections } = setup();
      const answer = await receiver.receive({ body: signedRequest(notification()).body });
      expect(answer.statusCode).toBe(401);
      expect(bodyOf(answer)).toMatchObject({ error: { code: 'MISSING_SIGNATURE' } });
      expect(rejections).toEqual(['missing-signature']);
      unchanged();
    });

    it.each([
      ['signed with another token', () => signedRequest(notification(), 'not-the-token')],
      ['a body changed after signing', () => ({ ...signedRequest(notification()), body: Buffer.from('{}') })],
      ['a signature that is not hex', () => ({ ...signedRequest(notification()), signature: 'not-hex' })],
    ])('a bad signature (401), counted: %s', async (_name, request) => {
      const { receiver, unchanged, rejections } = setup();
      const answer = await receiver.receive(request());
      expect(answer.statusCode).toBe(401);
      expect(bodyOf(answer)).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
      expect(rejections).toEqual(['bad-signature']);
      unchanged();
    });

    it('a malformed body with a bad signature is a 401, not a 400: nothing is parsed first', async () => {
      const { receiver, rejections } = setup();
      const answer = await receiver.receive({ body: Buffer.from('{not json'), signature: 'ab'.repeat(64) });
      expect(answer.statusCode).toBe(401);
      expect(rejections).toEqual(['bad-signature']);
    });

    it('answers 503 when the token cannot be read, and changes nothing', async () => {
      const { repository, waker } = setup();
      const receiver = new RunNotifications({
        repository,
        waker,
        token: () => Promise.reject(new Error('secrets manager down')),
        environment: 'dev',
        clock: fixedClock(NOW),
      });
      const answer = await receiver.receive(signedRequest(notification()));
      expect(answer.statusCode).toBe(503);
      expect(waker.wakes).toEqual([]);
    });
  });

  describe('signed but malformed (400)', () => {
    it.each([
      ['not JSON', '{"payload_version": 1,', 'INVALID_JSON'],
      ['JSON but not a notification', { hello: 'world' }, 'VALIDATION_ERROR'],
      ['a run event without its run id', { ...notification(), run_id: null }, 'VALIDATION_ERROR'],
      ['an array', [notification()], 'VALIDATION_ERROR'],
    ])('%s', async (_name, payload, errorCode) => {
      const { receiver, unchanged, rejections } = setup();
      const answer = await receiver.receive(signedRequest(payload));
      expect(answer.statusCode).toBe(400);
      expect(bodyOf(answer)).toMatchObject({ error: { code: errorCode } });
      expect(rejections).toEqual([]);
      unchanged();
    });
  });

  it('answers the verification request 200 and touches nothing', async () => {
    const { receiver, unchanged } = setup();
    const answer = await receiver.receive(signedRequest(VERIFICATION));
    expect(answer).toEqual({ statusCode: 200, body: JSON.stringify({ status: 'verified' }) });
    unchanged();
  });

  it.each([
    ['another environment', 'tenant-prod-acme'],
    ['not a tenant workspace', 'my-workspace'],
    ['the module versions workspace', 'control-plane-dev-modules'],
    ['an invalid tenant code', 'tenant-dev-ACME'],
  ])('ignores a workspace that is no tenant of this environment (%s)', async (_name, workspaceName) => {
    const { receiver, unchanged } = setup();
    const answer = await receiver.receive(signedRequest(notification({ workspaceName })));
    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toMatchObject({ status: 'ignored' });
    unchanged();
  });

  it('ignores a run the control plane did not start (another run of a waiting tenant)', async () => {
    const { receiver, unchanged } = setup();
    const answer = await receiver.receive(signedRequest(notification({ runId: 'run-someone-else' })));
    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toEqual({ status: 'ignored', reason: 'no flow waits for this run' });
    unchanged();
  });

  it('ignores a run of a tenant the table does not hold', async () => {
    const { receiver, unchanged } = setup(null);
    const answer = await receiver.receive(signedRequest(notification()));
    expect(bodyOf(answer)).toMatchObject({ status: 'ignored' });
    unchanged();
  });

  it('ignores a replayed body for a finished flow: the tenant is ready, nothing waits', async () => {
    const finished = waitingRow({ status: 'ready', runStatus: 'applied' });
    const { receiver, unchanged } = setup(finished);
    const answer = await receiver.receive(signedRequest(notification()));
    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toMatchObject({ status: 'ignored' });
    unchanged();
  });

  it('ignores a run that has not ended (a trigger the control plane did not ask for)', async () => {
    const { receiver, unchanged } = setup();
    const answer = await receiver.receive(
      signedRequest(notification({ trigger: 'run:applying', runStatus: 'applying' })),
    );
    expect(bodyOf(answer)).toEqual({ status: 'ignored', reason: 'the run has not ended' });
    unchanged();
  });

  it.each([
    ['run:completed', 'applied', 'succeeded'],
    ['run:errored', 'errored', 'failed'],
    ['run:needs_attention', 'policy_override', 'needs-attention'],
    ['run:needs_attention', 'planned', 'needs-attention'],
  ] as const)(
    'wakes the waiting flow with its run end (%s, %s → %s) and writes nothing itself',
    async (trigger, runStatus, outcome) => {
      const { receiver, waker, repository } = setup();
      const answer = await receiver.receive(signedRequest(notification({ trigger, runStatus })));
      expect(answer).toEqual({ statusCode: 200, body: JSON.stringify({ status: 'woken' }) });
      expect(waker.wakes).toEqual([
        {
          taskToken: 'task-token-1',
          end: { runId: 'run-1', runStatus, outcome, via: 'notification', at: NOW },
        },
      ]);
      expect(repository.writes).toBe(0);
    },
  );

  it('a repeated delivery is harmless: the token wakes once, the second answer says so', async () => {
    const { receiver, waker } = setup();
    const request = signedRequest(notification());
    const first = await receiver.receive(request);
    const second = await receiver.receive(request);
    expect(bodyOf(first)).toEqual({ status: 'woken' });
    expect(second.statusCode).toBe(200);
    expect(bodyOf(second)).toEqual({ status: 'already-woken' });
    expect(waker.live.size).toBe(0);
  });

  it('answers 503 (not the caller’s fault) when the wake fails, and the flow’s polling remains', async () => {
    const { receiver, waker, repository } = setup();
    waker.failWith = new Error('ThrottlingException');
    const answer = await receiver.receive(signedRequest(notification()));
    expect(answer.statusCode).toBe(503);
    expect(repository.writes).toBe(0);
  });

  it('logs each decision with tenant, run and trigger, never the token, signature or body', async () => {
    const { receiver, lines } = setup();
    const request = signedRequest(notification());
    await receiver.receive(request);
    await receiver.receive({ ...request, signature: 'ab'.repeat(64) });
    await receiver.receive({ body: request.body });
    expect(lines).toContainEqual({
      level: 'info',
      message: 'run notification',
      attributes: expect.objectContaining({
        tenantCode: 'acme',
        runId: 'run-1',
        trigger: 'run:completed',
        outcome: 'woken',
      }) as unknown,
    });
    const logged = JSON.stringify(lines);
    for (const secret of [
      TOKEN,
      request.signature,
      'ab'.repeat(64),
      'task-token-1',
      request.body.toString(),
    ]) {
      expect(logged).not.toContain(secret);
    }
  });

  it('answers never name the token or echo the body', async () => {
    const { receiver } = setup();
    const request = signedRequest(notification());
    const answers = [
      await receiver.receive(request),
      await receiver.receive({ ...request, signature: signed(request.body, 'x') }),
      await receiver.receive(signedRequest('{oops')),
    ];
    for (const answer of answers) {
      expect(answer.body).not.toContain(TOKEN);
      expect(answer.body).not.toContain('task-token-1');
      expect(answer.body).not.toContain('{oops');
    }
  });
});
