import { FlowFailureError, FlowSupersededError, failureCodeOf, isTransient } from '../core/errors';
import {
  AwaitInputSchema,
  CheckInputSchema,
  FinalizeInputSchema,
  TriggerInputSchema,
  type AwaitRequest,
  type CheckRequest,
  type FinalizeInput,
  type FinalizeRequest,
  type FinalizeResult,
  type FlowRun,
  type RunEnd,
  type RunRef,
  type TaskError,
  type TriggerRequest,
} from '../core/flow-state';
import { FAILURE_EVENT, FAILURE_STATUS, FLOWS } from '../core/flows';
import type {
  Clock,
  FlowCompletion,
  FlowWaker,
  LifecycleNotifier,
  RunState,
  TenantRepository,
  TerraformBackend,
} from '../core/ports';
import {
  classifyRun,
  classifyRunStatus,
  DEFAULT_RUN_NEEDS_ATTENTION_ACTION,
  type RunNeedsAttentionAction,
  type RunOutcome,
} from '../core/run-status';
import { observeRetries } from '../core/retry-reporting';
import type { Tenant, TenantError } from '../core/tenant';
import type { TenantCode } from '../core/tenant-code';

export interface TenantFlowDeps {
  repository: TenantRepository;
  backend: TerraformBackend;
  notifier: LifecycleNotifier;
  clock: Clock;
  pollIntervalSeconds: number;
  pollBudget: number;
  /** What Check does with a run that waits for a person. @default 'discard' */
  onRunNeedsAttention?: RunNeedsAttentionAction;
  /** Admission control: finalize frees the flow's run slot. @default no admission control */
  admission?: { release(flowId: string): Promise<unknown> };
  /**
   * Run notifications: the AwaitRun state waits up to this many seconds for the run's notification before
   * the flow falls back to polling every `pollIntervalSeconds`. @default 0 (off: the flow polls)
   */
  awaitSeconds?: number;
  /** Wakes the AwaitRun state when its one read finds the run already over. Required with `awaitSeconds`. */
  waker?: FlowWaker;
  /** Reports what finalize decided (metrics); optional. */
  onFinalized?: (tenant: Tenant, event: string) => void;
}

/** The tenant's `lastError.code` when its run stopped for a person. */
const NEEDS_ATTENTION_CODE = 'RunNeedsAttention';

/** Turns a Step Functions error (`Cause` is the Lambda's JSON error) into a reason a person can act on. */
export function reasonFromTaskError(error: TaskError): TenantError['message'] {
  let message = error.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // A plain-text cause is already the message.
  }
  return message || (error.Error ?? 'the flow failed');
}

/**
 * The three tasks of the shared flow definition. Each write is guarded by the flow's flowId, so a
 * superseded or duplicated execution can never overwrite a newer flow's tenant.
 */
export class TenantFlow {
  public constructor(private readonly deps: TenantFlowDeps) {}

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  /**
   * Calls the backend with each retry of its requests shown on the tenant (`retrying`) while it happens,
   * under the flow's flowId. A row another flow owns is left alone; the flow finds out at its next write.
   */
  private showingRetries<T>(code: TenantCode, flowId: string, call: () => Promise<T>): Promise<T> {
    return observeRetries(async (notice) => {
      try {
        await this.deps.repository.recordRetry(code, flowId, notice, this.now());
      } catch (error) {
        if (!(error instanceof FlowSupersededError)) throw error;
      }
    }, call);
  }

  public async trigger(request: TriggerRequest): Promise<RunRef> {
    const input = TriggerInputSchema.parse(request);
    const code = input.tenantCode;
    const { claimed, tenant } = await this.deps.repository.claimFlow(code, input.flowId, input.executionId);
    // A flow waits for its run's notification only for a run Trigger knows will be notified (below).
    const base = {
      waitSeconds: this.deps.pollIntervalSeconds,
      pollsLeft: this.deps.pollBudget,
      awaitSeconds: 0,
    };
    if (!claimed) return { duplicate: true, outcome: 'running', ...base };
    if (tenant.runId) {
      // This execution already started the run before a retry: carry on with it.
      return {
        duplicate: false,
        workspaceId: tenant.workspaceId,
        runId: tenant.runId,
        runStatus: tenant.runStatus,
        ...(tenant.runModuleVersion ? { moduleVersion: tenant.runModuleVersion } : {}),
        outcome: 'running',
        ...base,
      };
    }
    // A previous attempt of this Trigger may have started a run and failed before recording its id: only
    // then is it worth searching the workspace's runs (an endpoint limited to 30 requests a minute).
    const recover = tenant.runRequestedFor === input.flowId;
    if (!recover) {
      await this.deps.repository.recordProgress(
        code,
        input.flowId,
        { runRequestedFor: input.flowId },
        this.now(),
      );
    }
    let started;
    try {
      started = await this.showingRetries(code, input.flowId, () =>
        this.deps.backend.startRun({ tenant, flowId: input.flowId, destroy: input.flow.destroy, recover }),
      );
    } catch (error) {
      if (!(error instanceof FlowFailureError)) throw error;
      // A person must look first: no run, straight to Finalize with the reason.
      return {
        duplicate: false,
        outcome: 'failed',
        errorCode: error.failureCode,
        reason: error.message,
        ...base,
        waitSeconds: 0,
      };
    }
    await this.deps.repository.recordProgress(
      code,
      input.flowId,
      {
        workspaceId: started.workspaceId,
        runId: started.runId,
        runStatus: started.status,
        runModuleVersion: started.moduleVersion,
      },
      this.now(),
    );
    const outcome: RunOutcome = started.runId ? classifyRunStatus(started.status ?? 'pending') : 'succeeded';
    // Nothing to wait for when there is no run to watch; a run's notification only when one will come.
    const waitSeconds = outcome === 'running' ? base.waitSeconds : 0;
    const { notified, ...run } = started;
    return {
      duplicate: false,
      ...run,
      runStatus: started.status,
      outcome,
      ...base,
      waitSeconds,
      awaitSeconds: notified === true && outcome === 'running' ? (this.deps.awaitSeconds ?? 0) : 0,
    };
  }

  public async check(request: CheckRequest): Promise<RunRef> {
    const input = CheckInputSchema.parse(request);
    const { run } = input;
    const pollsLeft = run.pollsLeft - 1;
    // Trigger already decided (a failure a person must look at, or nothing to run).
    if (run.outcome !== 'running') return { ...run, pollsLeft };
    const runId = run.runId;
    if (!runId) return { ...run, outcome: 'succeeded', pollsLeft };
    const code = input.tenantCode;
    const state = await this.showingRetries(code, input.flowId, () =>
      this.deps.backend.getRun({ runId, workspaceId: run.workspaceId, tenantCode: code }),
    );
    if (state.status !== run.runStatus) {
      await this.deps.repository.recordProgress(code, input.flowId, { runStatus: state.status }, this.now());
    } else {
      // TFC answers again: a retry shown by this or an earlier attempt of the step is over.
      await this.deps.repository.clearRetry(code, input.flowId, this.now());
    }
    const runClass = classifyRun(state);
    if (runClass === 'needs-attention') {
      const reason = await this.needsAttention(code, input.flowId, run.workspaceId, state);
      await this.deps.admission?.release(input.flowId);
      return {
        ...run,
        runStatus: state.status,
        outcome: 'failed',
        errorCode: NEEDS_ATTENTION_CODE,
        reason,
        pollsLeft,
        waitSeconds: this.deps.pollIntervalSeconds,
      };
    }
    const outcome = runClass;
    // The run no longer executes, so it no longer counts against TFC's concurrency: its slot goes to the
    // next flow now, not after Finalize has waited for the state's outputs (Finalize frees it again, harmlessly).
    if (outcome !== 'running') await this.deps.admission?.release(input.flowId);
    return {
      ...run,
      runStatus: state.status,
      outcome,
      ...(outcome === 'failed'
        ? { reason: state.reason ?? `Terraform run ${state.id} ended ${state.status}` }
        : {}),
      pollsLeft,
      waitSeconds: this.deps.pollIntervalSeconds,
    };
  }

  /**
   * A run that waits for a person never ends by itself and holds the workspace's queue: the flow fails
   * now, naming the run and its status, and (by default) discards it so the retry is not queued behind it.
   * Returns the tenant's error message.
   */
  private async needsAttention(
    code: TenantCode,
    flowId: string,
    workspaceId: string | undefined,
    state: RunState,
  ): Promise<string> {
    const action = this.deps.onRunNeedsAttention ?? DEFAULT_RUN_NEEDS_ATTENTION_ACTION;
    const where = state.url ? ` (${state.url})` : '';
    const reason = `Terraform run ${state.id} needs a person: it stopped at ${state.status}${where}`;
    if (action === 'leave') return `${reason}; it was left for a person to confirm, override or discard`;
    await this.showingRetries(code, flowId, () =>
      this.deps.backend.discardRun({
        runId: state.id,
        workspaceId,
        tenantCode: code,
        comment: `Discarded by tenant-control-plane: flow ${flowId} does not wait for a person.`,
      }),
    );
    return `${reason}; the control plane discarded it, so retry with an update or a delete once the cause is fixed`;
  }

  /**
   * The AwaitRun state's task: stores the state's task token with the run id (under the flowId guard), so
   * the run's notification can wake the flow, then reads the run once. A run that ended before the token
   * was stored (its notification found nothing to wake) wakes the flow from here. The state waits until
   * one of them completes it, or times out and falls back to polling.
   */
  public async awaitRun(request: AwaitRequest): Promise<{ waiting: boolean }> {
    const input = AwaitInputSchema.parse(request);
    const { run, taskToken, flowId } = input;
    const code = input.tenantCode;
    const waker = this.deps.waker;
    if (!waker) throw new Error('the AwaitRun state needs a flow waker (run notifications are off)');
    if (!run.runId) throw new Error('the AwaitRun state needs the run Trigger started');
    const runId = run.runId;
    if (!(await this.deps.repository.recordRunWaiter(code, flowId, runId, taskToken, this.now()))) {
      throw new FlowSupersededError(code, flowId);
    }
    const state = await this.showingRetries(code, flowId, () =>
      this.deps.backend.getRun({ runId, workspaceId: run.workspaceId, tenantCode: code }),
    );
    const runClass = classifyRun(state);
    if (runClass === 'running') {
      if (state.status !== run.runStatus)
        await this.deps.repository.recordProgress(code, flowId, { runStatus: state.status }, this.now());
      return { waiting: true };
    }
    const end: RunEnd = { runId, runStatus: state.status, outcome: runClass, via: 'read', at: this.now() };
    await waker.wake(taskToken, end);
    return { waiting: false };
  }

  public async finalize(request: FinalizeRequest): Promise<FinalizeResult> {
    const input = FinalizeInputSchema.parse(request);
    // The run is over (or never started): its slot goes to the next flow in the queue now, not after the
    // outputs TFC may still be processing for a few seconds (a retried Finalize frees it again, harmlessly).
    await this.deps.admission?.release(input.flowId);
    return this.complete(input);
  }

  private async complete(input: FinalizeInput): Promise<FinalizeResult> {
    const code = input.tenantCode;
    const completion = await this.decide(code, input);
    let tenant: Tenant;
    try {
      tenant = await this.deps.repository.completeFlow(code, input.flowId, completion);
    } catch (error) {
      if (!(error instanceof FlowSupersededError)) throw error;
      const current = await this.deps.repository.get(code);
      // A retry after our own write already landed: publish again (at least once), write nothing.
      if (current?.flowId !== input.flowId || current.status !== completion.status)
        return { status: 'superseded' };
      tenant = current;
    }
    const failed = tenant.status === FAILURE_STATUS;
    const event = failed ? FAILURE_EVENT : input.flow.successEvent;
    await this.deps.notifier.notify({
      event,
      tenantCode: tenant.tenantCode,
      flowId: tenant.flowId,
      action: input.flow.action,
      status: tenant.status,
      at: tenant.updatedAt,
      ...(failed ? {} : { outputs: tenant.outputs ?? {} }),
      ...(tenant.lastError ? { error: tenant.lastError } : {}),
    });
    this.deps.onFinalized?.(tenant, event);
    return {
      status: tenant.status,
      event,
      ...(failed && tenant.lastError ? { reason: tenant.lastError.message } : {}),
    };
  }

  /**
   * A step that failed without saying why TFC did (its time ran out while requests were retried): the
   * retry the row shows names the network error. Errors of the TFC client (`TFC …`) already name it.
   */
  private async withRetryShown(code: TenantCode, flowId: string, message: string): Promise<string> {
    if (message.startsWith('TFC ')) return message;
    const row = await this.deps.repository.get(code);
    const shown = row?.flowId === flowId ? row.retrying : undefined;
    if (!shown) return message;
    return `${message}; TFC was failing: ${shown.reason} (attempt ${shown.attempt} of ${shown.maxAttempts}, since ${shown.since})`;
  }

  /** Works out the terminal write; reads outputs or deletes the workspace on success. */
  private async decide(code: TenantCode, input: FinalizeInput): Promise<FlowCompletion> {
    const now = this.now();
    const end = input.run.end;
    // The wake's status is the newest the flow knows.
    const run: FlowRun = end ? { ...input.run, runStatus: end.runStatus } : input.run;
    const fail = (errorCode: string, message: string): FlowCompletion => ({
      status: FAILURE_STATUS,
      now,
      ...(run.runStatus ? { runStatus: run.runStatus } : {}),
      lastError: { code: errorCode, message, at: now },
    });
    if (run.error) {
      const message = await this.withRetryShown(code, input.flowId, reasonFromTaskError(run.error));
      return fail(run.error.Error ?? 'FlowError', message);
    }
    if (end) {
      const failure = await this.endFailure(code, input, end);
      if (failure) return fail(failure.code, failure.message);
    } else if (!run.outcome) {
      return fail('FlowError', 'the flow reached finalize without a run');
    } else if (run.outcome === 'failed') {
      return fail(
        run.errorCode ?? 'RunFailed',
        run.reason ?? `Terraform run ${run.runId ?? ''} ended ${run.runStatus ?? ''}`,
      );
    } else if (run.outcome === 'running') {
      return fail(
        'PollBudgetExhausted',
        `Terraform run ${run.runId ?? ''} was still ${run.runStatus ?? 'running'} after ${this.deps.pollBudget} checks ` +
          `${this.deps.pollIntervalSeconds}s apart; look at the run, then retry with an update or a delete`,
      );
    }
    try {
      return await this.succeed(code, input, run);
    } catch (error) {
      // Transient: let the state's Retry try again. Anything else needs a person: record why.
      if (isTransient(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      return fail(failureCodeOf(error), message);
    }
  }

  /**
   * Why a run the flow was woken for did not succeed, if it did not: a failed run is read once for TFC's
   * reason; a run that waits for a person goes the way Check sends it (discarded by default).
   */
  private async endFailure(
    code: TenantCode,
    input: FinalizeInput,
    end: RunEnd,
  ): Promise<{ code: string; message: string } | undefined> {
    if (end.outcome === 'succeeded') return undefined;
    const state = await this.showingRetries(code, input.flowId, () =>
      this.deps.backend.getRun({ runId: end.runId, workspaceId: input.run.workspaceId, tenantCode: code }),
    );
    if (end.outcome === 'failed') {
      return {
        code: 'RunFailed',
        message: state.reason ?? `Terraform run ${end.runId} ended ${end.runStatus}`,
      };
    }
    const message = await this.needsAttention(code, input.flowId, input.run.workspaceId, state);
    return { code: NEEDS_ATTENTION_CODE, message };
  }

  /** The terminal write of a run that succeeded, timed when it is written (after TFC's reads). */
  private async succeed(code: TenantCode, input: FinalizeInput, run: FlowRun): Promise<FlowCompletion> {
    const { flow } = input;
    if (flow.destroy) {
      // Under the flowId guard: a retried Finalize of an old delete whose tenant has since been created
      // again must not remove the new workspace of the same name. The row stays `deleting` under this
      // flowId until this Finalize writes, and nothing can start another flow on it meanwhile.
      if (run.workspaceId && (await this.holdsDelete(code, input.flowId))) {
        const workspaceId = run.workspaceId;
        await this.showingRetries(code, input.flowId, () =>
          this.deps.backend.deleteWorkspace(workspaceId, code),
        );
      }
      return {
        status: flow.successStatus,
        now: this.now(),
        ...(run.runStatus ? { runStatus: run.runStatus } : {}),
      };
    }
    const workspaceId = run.workspaceId;
    const outputs = workspaceId
      ? await this.showingRetries(code, input.flowId, () =>
          this.deps.backend.getOutputs(workspaceId, { status: run.runStatus }),
        )
      : undefined;
    return {
      status: flow.successStatus,
      now: this.now(),
      ...(run.runStatus ? { runStatus: run.runStatus } : {}),
      ...(run.moduleVersion ? { moduleVersion: run.moduleVersion } : {}),
      outputs: outputs?.values ?? {},
      sensitiveOutputs: outputs?.sensitive ?? [],
    };
  }

  /** Whether the row still shows this flow's delete in progress (and so may lose its workspace). */
  private async holdsDelete(code: TenantCode, flowId: string): Promise<boolean> {
    const current = await this.deps.repository.get(code);
    return current?.flowId === flowId && current.status === FLOWS.delete.inProgressStatus;
  }
}
