import { FlowFailureError, FlowSupersededError } from '../../../lambdas/core/errors';
import { flowConstants, type Action } from '../../../lambdas/core/flows';
import { parseTenantCode } from '../../../lambdas/core/tenant-code';
import type { RunNeedsAttentionAction } from '../../../lambdas/core/run-status';
import type { CheckRequest, FlowRun, RunEnd, RunRef, TaskError } from '../../../lambdas/core/flow-state';
import type { FlowWaker } from '../../../lambdas/core/ports';
import { TenantFlow } from '../../../lambdas/use-cases/tenant-flow';
import { fixedClock } from '../../support/api';
import { MemoryAdmissionQueue } from '../../support/memory-admission-queue';
import { MemoryLifecycleNotifier, MemoryTerraformBackend } from '../../support/memory-ports';
import { MemoryTenantRepository } from '../../support/memory-tenant-repository';

const NOW = '2026-11-23T10:00:00.000Z';
const code = parseTenantCode('acme');

/** A waker that records each wake: the first wake of a token counts, later ones find it spent. */
class RecordingWaker implements FlowWaker {
  public readonly woken: { taskToken: string; end: RunEnd }[] = [];
  public wake(taskToken: string, end: RunEnd): Promise<boolean> {
    const spent = this.woken.some((w) => w.taskToken === taskToken);
    if (!spent) this.woken.push({ taskToken, end });
    return Promise.resolve(!spent);
  }
}

function setup(
  options: { onRunNeedsAttention?: RunNeedsAttentionAction; awaitSeconds?: number; waker?: FlowWaker } = {},
) {
  const repository = new MemoryTenantRepository();
  const backend = new MemoryTerraformBackend();
  const notifier = new MemoryLifecycleNotifier();
  const admission = new MemoryAdmissionQueue();
  const flow = new TenantFlow({
    repository,
    backend,
    notifier,
    clock: fixedClock(NOW),
    pollIntervalSeconds: 7,
    pollBudget: 3,
    admission,
    ...options,
  });
  /** Starts a request's flow as the API would: the transition only (the flow is driven by the test). */
  const request = async (action: Action, flowId: string) =>
    (
      await repository.transition({
        tenantCode: code,
        action,
        flowId,
        requestedBy: 'api:bob',
        now: NOW,
        changes: {},
      })
    ).after;
  const trigger = (action: Action, flowId: string, executionId = `exec-${flowId}`) =>
    flow.trigger({ tenantCode: code, flowId, flow: flowConstants(action), executionId });
  const check = (action: Action, flowId: string, run: RunRef): Promise<RunRef> =>
    flow.check({ tenantCode: code, flowId, flow: flowConstants(action), run } satisfies CheckRequest);
  /** Finalize's input as the definition selects it: `$.run`, with a Catch's error at `$.run.error`. */
  const finalize = (action: Action, flowId: string, rest: { run?: FlowRun; error?: TaskError } = {}) =>
    flow.finalize({
      tenantCode: code,
      flowId,
      flow: flowConstants(action),
      run: { ...rest.run, ...(rest.error ? { error: rest.error } : {}) },
    });
  /** Polls like the state machine: Check until the run is no longer running or the budget is spent. */
  const poll = async (action: Action, flowId: string, run: RunRef) => {
    let ref = run;
    while (ref.outcome === 'running' && ref.pollsLeft > 0) ref = await check(action, flowId, ref);
    return ref;
  };
  /** A whole flow, Trigger to Finalize. */
  const drive = async (action: Action, flowId: string) => {
    await request(action, flowId);
    const run = await poll(action, flowId, await trigger(action, flowId));
    return finalize(action, flowId, { run });
  };
  /** Trigger's run, then the run moves on to its next scripted state before the next read. */
  const triggerAndMoveOn = async (action: Action, flowId: string) => {
    const ref = await trigger(action, flowId);
    await backend.getRun({ runId: ref.runId ?? '', tenantCode: code });
    return ref;
  };
  /** AwaitRun's task with the token Step Functions would give it. */
  const awaitRun = (flowId: string, run: RunRef, taskToken = `token-${flowId}`) =>
    flow.awaitRun({ tenantCode: code, flowId, run, taskToken });
  return {
    repository,
    backend,
    notifier,
    admission,
    flow,
    request,
    trigger,
    triggerAndMoveOn,
    check,
    awaitRun,
    finalize,
    poll,
    drive,
  };
}

describe('TenantFlow over in-memory ports', () => {
  describe('trigger', () => {
    it('claims the flow, records that it asked for a run, then the run it started', async () => {
      const t = setup();
      await t.request('create', 'f1');

      const ref = await t.trigger('create', 'f1');

      expect(ref).toEqual({
        duplicate: false,
        workspaceId: 'ws-acme',
        runId: 'run-1',
        runStatus: 'planning',
        // Trigger passes the started run on as it is: its status also rides along under its own name.
        status: 'planning',
        moduleVersion: 'v1+memory',
        outcome: 'running',
        waitSeconds: 7,
        pollsLeft: 3,
        // Run notifications are off: the flow polls.
        awaitSeconds: 0,
      });
      expect(t.repository.row(code)).toMatchObject({
        claimedBy: 'exec-f1',
        runRequestedFor: 'f1',
        runId: 'run-1',
        runStatus: 'planning',
        runModuleVersion: 'v1+memory',
      });
      expect(t.backend.started).toEqual([
        expect.objectContaining({ flowId: 'f1', destroy: false, recover: false }),
      ]);
      const { items } = await t.repository.listHistory(code, { limit: 1 });
      expect(items[0]).toEqual({ at: NOW, kind: 'run', flowId: 'f1', runId: 'run-1', status: 'planning' });
    });

    it('answers a duplicated event without starting a second run', async () => {
      const t = setup();
      await t.request('create', 'f1');
      await t.trigger('create', 'f1', 'exec-a');

      const ref = await t.trigger('create', 'f1', 'exec-b');

      expect(ref).toMatchObject({ duplicate: true, outcome: 'running' });
      expect(t.backend.started).toHaveLength(1);
      expect(t.repository.row(code)?.claimedBy).toBe('exec-a');
    });

    it('carries on with the run a retried Trigger of the same execution already started', async () => {
      const t = setup();
      await t.request('create', 'f1');
      await t.trigger('create', 'f1');

      const ref = await t.trigger('create', 'f1');

      expect(ref).toMatchObject({ duplicate: false, runId: 'run-1', moduleVersion: 'v1+memory' });
      expect(t.backend.started).toHaveLength(1);
    });

    it('searches for its run when an earlier attempt asked for one and failed before recording it', async () => {
      const t = setup();
      await t.request('create', 'f1');
      t.backend.failNext('startRun', new Error('socket hang up'));
      await expect(t.trigger('create', 'f1')).rejects.toThrow('socket hang up');

      await t.trigger('create', 'f1');

      expect(t.backend.started.map((r) => r.recover)).toEqual([true]);
      expect(t.repository.row(code)?.runId).toBe('run-1');
    });

    it('is superseded on a row another flow owns, and on a flow the reconciler already failed', async () => {
      const t = setup();
      await t.request('create', 'f1');
      await expect(t.trigger('create', 'f0')).rejects.toThrow(FlowSupersededError);

      await t.repository.failLostFlow(code, 'f1', undefined, { code: 'FlowLost', message: 'lost', at: NOW });
      await expect(t.trigger('create', 'f1')).rejects.toThrow(FlowSupersededError);
      expect(t.backend.started).toEqual([]);
    });

    it('goes straight to Finalize with the reason when the backend says a person must look first', async () => {
      const t = setup();
      await t.request('create', 'f1');
      t.backend.failNext(
        'startRun',
        new FlowFailureError('WorkspaceLocked', 'the workspace is locked by a person'),
      );

      const ref = await t.trigger('create', 'f1');

      expect(ref).toMatchObject({
        outcome: 'failed',
        errorCode: 'WorkspaceLocked',
        reason: 'the workspace is locked by a person',
        waitSeconds: 0,
      });
    });
  });

  describe('check', () => {
    it('records each new run status and frees the run slot once the run is over', async () => {
      const t = setup();
      await t.request('create', 'f1');
      await t.admission.enqueue('f1', code, NOW);
      const first = await t.trigger('create', 'f1');

      const running = await t.check('create', 'f1', first);
      expect(running).toMatchObject({ outcome: 'running', runStatus: 'planning', pollsLeft: 2 });
      expect(t.admission.entries.get('f1')?.state).toBe('waiting');

      const done = await t.check('create', 'f1', running);
      expect(done).toMatchObject({ outcome: 'running', runStatus: 'applying', pollsLeft: 1 });
      const end = await t.check('create', 'f1', done);
      expect(end).toMatchObject({ outcome: 'succeeded', runStatus: 'applied', pollsLeft: 0 });
      expect(t.repository.row(code)?.runStatus).toBe('applied');
      expect(t.admission.entries.get('f1')?.state).toBe('released');
    });

    it('clears a retry the row shows once TFC answers again', async () => {
      const t = setup();
      await t.request('create', 'f1');
      const ref = await t.trigger('create', 'f1');
      await t.repository.recordRetry(code, 'f1', { reason: 'ECONNREFUSED', attempt: 2, maxAttempts: 5 }, NOW);
      t.backend.runs.get('run-1')?.states.unshift({ status: 'planning' });

      await t.check('create', 'f1', ref);

      expect(t.repository.row(code)).not.toHaveProperty('retrying');
    });

    it.each([
      ['discard', 1, 'the control plane discarded it'],
      ['leave', 0, 'it was left for a person'],
    ] as const)('fails a run that waits for a person (%s)', async (action, discards, says) => {
      const t = setup({ onRunNeedsAttention: action });
      await t.drive('create', 'f0');
      t.backend.scriptRuns({ status: 'policy_override', url: 'https://tfc.test/run-2' });
      await t.request('update', 'f1');
      const ref = await t.trigger('update', 'f1');

      const out = await t.check('update', 'f1', ref);

      expect(out).toMatchObject({ outcome: 'failed', errorCode: 'RunNeedsAttention' });
      expect(out.reason).toContain(
        'Terraform run run-2 needs a person: it stopped at policy_override (https://tfc.test/run-2)',
      );
      expect(out.reason).toContain(says);
      expect(t.backend.discarded).toHaveLength(discards);
    });
  });

  describe('finalize', () => {
    it('ends a create ready with its outputs and the module version, and says so once', async () => {
      const t = setup();

      const result = await t.drive('create', 'f1');

      expect(result).toEqual({ status: 'ready', event: 'TenantReady' });
      const tenant = await t.repository.get(code);
      expect(tenant).toMatchObject({
        status: 'ready',
        moduleVersion: 'v1+memory',
        outputs: { endpoint: 'https://example.test' },
        sensitiveOutputs: ['password'],
      });
      expect(t.notifier.events).toEqual([
        {
          event: 'TenantReady',
          tenantCode: code,
          flowId: 'f1',
          action: 'create',
          status: 'ready',
          at: NOW,
          outputs: { endpoint: 'https://example.test' },
        },
      ]);
      const { items } = await t.repository.listHistory(code, { limit: 2 });
      expect(items).toEqual([
        { at: NOW, kind: 'status', flowId: 'f1', from: 'creating', to: 'ready' },
        { at: NOW, kind: 'run', flowId: 'f1', runId: 'run-1', status: 'applied' },
      ]);
    });

    it('ends a delete deleted: the workspace goes, so do the outputs', async () => {
      const t = setup();
      await t.drive('create', 'f1');

      const result = await t.drive('delete', 'f2');

      expect(result).toEqual({ status: 'deleted', event: 'TenantDeleted' });
      expect(t.backend.deletedWorkspaces).toEqual(['ws-acme']);
      const tenant = await t.repository.get(code);
      expect(tenant?.status).toBe('deleted');
      expect(tenant).not.toHaveProperty('outputs');
      expect(tenant).not.toHaveProperty('workspaceId');
      expect(t.notifier.events.at(-1)).toMatchObject({ event: 'TenantDeleted', outputs: {} });
    });

    it('fails a run that ended badly, naming the run', async () => {
      const t = setup();
      t.backend.scriptRuns('planning', 'errored');

      const result = await t.drive('create', 'f1');

      expect(result).toEqual({
        status: 'failed',
        event: 'TenantFailed',
        reason: 'Terraform run run-1 ended errored',
      });
      expect((await t.repository.get(code))?.lastError).toEqual({
        code: 'RunFailed',
        message: 'Terraform run run-1 ended errored',
        at: NOW,
      });
      expect(t.notifier.events[0]).not.toHaveProperty('outputs');
    });

    it('fails a run still running when the poll budget is spent', async () => {
      const t = setup();
      t.backend.scriptRuns('planning');

      await t.drive('create', 'f1');

      expect((await t.repository.get(code))?.lastError).toEqual({
        code: 'PollBudgetExhausted',
        message:
          'Terraform run run-1 was still planning after 3 checks 7s apart; look at the run, then retry with an update or a delete',
        at: NOW,
      });
    });

    it('names the failing TFC request when a task failed while it was retried', async () => {
      const t = setup();
      await t.request('create', 'f1');
      await t.repository.recordRetry(
        code,
        'f1',
        { reason: 'connection refused', attempt: 5, maxAttempts: 5 },
        NOW,
      );

      await t.finalize('create', 'f1', { error: { Error: 'States.Timeout', Cause: 'Task timed out' } });

      const tenant = await t.repository.get(code);
      expect(tenant).not.toHaveProperty('retrying');
      expect(tenant?.lastError).toEqual({
        code: 'States.Timeout',
        message: `Task timed out; TFC was failing: connection refused (attempt 5 of 5, since ${NOW})`,
        at: NOW,
      });
    });

    it('publishes again, writing nothing, when retried after its own write landed', async () => {
      const t = setup();
      await t.drive('create', 'f1');
      const version = t.repository.row(code)?.version;

      const again = await t.finalize('create', 'f1', {
        run: {
          duplicate: false,
          outcome: 'succeeded',
          runId: 'run-1',
          workspaceId: 'ws-acme',
          waitSeconds: 7,
          pollsLeft: 1,
        },
      });

      expect(again).toEqual({ status: 'ready', event: 'TenantReady' });
      expect(t.notifier.events).toHaveLength(2);
      expect(t.repository.row(code)?.version).toBe(version);
    });

    it('is superseded once a newer flow owns the row: no write, no event', async () => {
      const t = setup();
      await t.drive('create', 'f1');
      await t.request('update', 'f2');

      const late = await t.finalize('create', 'f1', {
        run: { duplicate: false, outcome: 'succeeded', waitSeconds: 7, pollsLeft: 1 },
      });

      expect(late).toEqual({ status: 'superseded' });
      expect(t.repository.row(code)).toMatchObject({ status: 'updating', flowId: 'f2' });
      expect(t.notifier.events).toHaveLength(1);
    });

    it('frees the run slot whatever the outcome', async () => {
      const t = setup();
      await t.request('create', 'f1');
      await t.admission.enqueue('f1', code, NOW);

      await t.finalize('create', 'f1', { error: { Error: 'Lambda.Unknown' } });

      expect(t.admission.entries.get('f1')?.state).toBe('released');
      expect((await t.repository.get(code))?.lastError?.message).toBe('Lambda.Unknown');
    });
  });
  it("carries a fractional Wait (npm start's LOCAL_WAIT_SECONDS) through Check and Finalize", async () => {
    const t = setup();
    t.backend.scriptRuns('planning', 'applied');
    await t.request('create', 'f1');
    const ref = { ...(await t.triggerAndMoveOn('create', 'f1')), waitSeconds: 0.2 };

    const run = await t.check('create', 'f1', ref);

    expect(run).toMatchObject({ outcome: 'succeeded' });
    expect(await t.finalize('create', 'f1', { run: { ...run, waitSeconds: 0.2 } })).toMatchObject({
      status: 'ready',
    });
  });

  describe('awaitRun (run notifications on)', () => {
    const end = (outcome: RunEnd['outcome'], runStatus: string): RunEnd => ({
      runId: 'run-1',
      runStatus,
      outcome,
      via: 'notification',
      at: NOW,
    });

    it('makes Trigger send the flow to AwaitRun for as long as the wait lasts, when the run will be notified', async () => {
      const t = setup({ awaitSeconds: 1800, waker: new RecordingWaker() });
      t.backend.notifies = true;
      await t.request('create', 'f1');

      expect(await t.trigger('create', 'f1')).toMatchObject({ outcome: 'running', awaitSeconds: 1800 });
    });

    it('lets a flow poll when its run will not be notified (the configuration could not be registered)', async () => {
      const t = setup({ awaitSeconds: 1800, waker: new RecordingWaker() });
      t.backend.notifies = false;
      await t.request('create', 'f1');

      expect(await t.trigger('create', 'f1')).toMatchObject({ outcome: 'running', awaitSeconds: 0 });
    });

    it('stores the task token with the run under the flowId, reads the run once and leaves the wake to the notification', async () => {
      const waker = new RecordingWaker();
      const t = setup({ awaitSeconds: 1800, waker });
      t.backend.scriptRuns('planning');
      await t.request('create', 'f1');
      const ref = await t.trigger('create', 'f1');

      expect(await t.awaitRun('f1', ref)).toEqual({ waiting: true });

      expect(await t.repository.getRunWaiter(code)).toEqual({
        tenantCode: code,
        flowId: 'f1',
        runId: 'run-1',
        taskToken: 'token-f1',
        since: NOW,
      });
      expect(waker.woken).toEqual([]);
    });

    it('wakes its own state when the run ended before the token was stored (its notification found no waiter)', async () => {
      const waker = new RecordingWaker();
      const t = setup({ awaitSeconds: 1800, waker });
      t.backend.scriptRuns('planning', 'applied');
      await t.request('create', 'f1');
      const ref = await t.triggerAndMoveOn('create', 'f1');

      expect(await t.awaitRun('f1', ref)).toEqual({ waiting: false });

      expect(waker.woken).toEqual([
        { taskToken: 'token-f1', end: { ...end('succeeded', 'applied'), via: 'read' } },
      ]);
    });

    it('stores nothing for a flow that no longer owns the tenant: Finalize then finds it superseded', async () => {
      const waker = new RecordingWaker();
      const t = setup({ awaitSeconds: 1800, waker });
      await t.request('create', 'f1');
      const ref = await t.trigger('create', 'f1');

      await expect(t.awaitRun('stale-flow', ref)).rejects.toBeInstanceOf(FlowSupersededError);

      expect(await t.repository.getRunWaiter(code)).toBeUndefined();
      expect(waker.woken).toEqual([]);
    });

    it('finalizes from the wake: a succeeded run ends ready with its outputs, without polling', async () => {
      const t = setup({ awaitSeconds: 1800, waker: new RecordingWaker() });
      await t.request('create', 'f1');
      const ref = await t.trigger('create', 'f1');

      const result = await t.finalize('create', 'f1', { run: { ...ref, end: end('succeeded', 'applied') } });

      expect(result).toEqual({ status: 'ready', event: 'TenantReady' });
      const tenant = await t.repository.get(code);
      expect(tenant).toMatchObject({ status: 'ready', runStatus: 'applied' });
      expect(await t.repository.getRunWaiter(code)).toBeUndefined();
      expect(t.repository.row(code)).not.toHaveProperty('waitToken');
    });

    it('reads a failed run once for the reason TFC gives', async () => {
      const t = setup({ awaitSeconds: 1800, waker: new RecordingWaker() });
      t.backend.scriptRuns('planning', { status: 'errored', reason: 'Error: bucket name taken' });
      await t.request('create', 'f1');
      const ref = await t.triggerAndMoveOn('create', 'f1');

      const result = await t.finalize('create', 'f1', { run: { ...ref, end: end('failed', 'errored') } });

      expect(result).toMatchObject({ status: 'failed', reason: 'Error: bucket name taken' });
      expect((await t.repository.get(code))?.lastError).toMatchObject({
        code: 'RunFailed',
        message: 'Error: bucket name taken',
      });
    });

    it('sends a run that needs a person the way Check does: discarded, RunNeedsAttention', async () => {
      const t = setup({ awaitSeconds: 1800, waker: new RecordingWaker() });
      t.backend.scriptRuns('planning', { status: 'policy_override', url: 'https://tfc.test/run-1' });
      await t.request('create', 'f1');
      const ref = await t.triggerAndMoveOn('create', 'f1');

      await t.finalize('create', 'f1', { run: { ...ref, end: end('needs-attention', 'policy_override') } });

      expect(t.backend.discarded).toHaveLength(1);
      expect((await t.repository.get(code))?.lastError).toMatchObject({
        code: 'RunNeedsAttention',
        message: expect.stringContaining(
          'Terraform run run-1 needs a person: it stopped at policy_override',
        ) as string,
      });
    });
  });
});
