import type {
  FlowCompletion,
  RunProgress,
  RunWaiter,
  TenantRepository,
  TransitionRequest,
  TransitionResult,
} from './ports';
import type { RetryNotice } from './retry-reporting';
import type { Tenant, TenantError } from './tenant';
import type { TenantCode } from './tenant-code';
import {
  planClaim,
  planClearRetry,
  planCompletion,
  planLostFlowFailure,
  planProgress,
  planReleaseClaim,
  planRetry,
  planRunWaiter,
  planTransition,
  planUndo,
  refusedClaim,
  runRowWrite,
  runWaiterOf,
  type RowStore,
  type RowWrite,
  type RowWriteRule,
} from './tenant-plans';
import { tenantOf, type RowChange, type RowCondition, type TenantRow } from './tenant-row';

/** The tenant repository's writes, and the reads they rest on. */
type LifecycleWrites = Pick<
  TenantRepository,
  | 'get'
  | 'transition'
  | 'undoTransition'
  | 'claimFlow'
  | 'recordProgress'
  | 'recordRetry'
  | 'clearRetry'
  | 'completeFlow'
  | 'releaseClaim'
  | 'failLostFlow'
  | 'recordRunWaiter'
  | 'getRunWaiter'
>;

/**
 * A tenant store whose every lifecycle write is the core's plan: each method names its plan, and a store
 * only translates three primitives (a consistent read, a conditional write with its history, a conditional
 * change without). The DynamoDB adapter and the in-memory fake of the tests are both one, so a refused
 * condition ends in the same error or answer in either.
 */
export abstract class PlannedTenantStore implements LifecycleWrites {
  /** The row as stored, claim included (a consistent read). */
  protected abstract readRow(code: TenantCode): Promise<TenantRow | undefined>;

  /**
   * A planned write and its history, together or neither, under the plan's condition; refused (with the
   * row's status as it was) when the condition fails.
   */
  protected abstract writePlanned(code: TenantCode, plan: RowWrite<unknown>): ReturnType<RowStore['write']>;

  /**
   * A conditional change without history (the flow's own bookkeeping: claim, release, run waiter): the row
   * once changed, or undefined when the condition failed.
   */
  protected abstract changeRow(
    code: TenantCode,
    plan: { condition: RowCondition; change: RowChange },
  ): Promise<TenantRow | undefined>;

  /** Read → plan → write (with its history), again while the row moves in between: the core's rule decides. */
  private apply<R>(code: TenantCode, rule: RowWriteRule<R>): Promise<R> {
    return runRowWrite(rule, {
      read: () => this.readRow(code),
      write: (plan) => this.writePlanned(code, plan),
    });
  }

  public async get(code: TenantCode): Promise<Tenant | undefined> {
    const row = await this.readRow(code);
    return row && tenantOf(row);
  }

  /**
   * The transition and its history, conditioned on the lifecycle and on the row's version, so the history
   * describes exactly the row it replaced. A row that moved in between is read and decided again.
   */
  public transition(req: TransitionRequest): Promise<TransitionResult> {
    return this.apply(req.tenantCode, planTransition(req));
  }

  /**
   * An update, not a put: whoever may make the transition may undo it with the same permission. A refused
   * write means another writer already moved the row on: it is no longer ours to restore.
   */
  public async undoTransition(result: TransitionResult, now = new Date().toISOString()): Promise<void> {
    await this.writePlanned(result.after.tenantCode, planUndo(result, now));
  }

  public async claimFlow(
    code: TenantCode,
    flowId: string,
    executionId: string,
  ): Promise<{ claimed: boolean; tenant: Tenant }> {
    const after = await this.changeRow(code, planClaim(flowId, executionId));
    if (after) return { claimed: true, tenant: tenantOf(after) };
    return refusedClaim(code, flowId, await this.get(code));
  }

  public recordProgress(code: TenantCode, flowId: string, progress: RunProgress, now: string): Promise<void> {
    return this.apply(code, planProgress(code, flowId, progress, now));
  }

  public recordRetry(code: TenantCode, flowId: string, retry: RetryNotice, now: string): Promise<void> {
    return this.apply(code, planRetry(code, flowId, retry, now));
  }

  public clearRetry(code: TenantCode, flowId: string, now: string): Promise<void> {
    return this.apply(code, planClearRetry(flowId, now));
  }

  public completeFlow(code: TenantCode, flowId: string, completion: FlowCompletion): Promise<Tenant> {
    return this.apply(code, planCompletion(code, flowId, completion));
  }

  public async releaseClaim(
    code: TenantCode,
    flowId: string,
    claimedBy: string | undefined,
  ): Promise<boolean> {
    return (await this.changeRow(code, planReleaseClaim(flowId, claimedBy))) !== undefined;
  }

  public failLostFlow(
    code: TenantCode,
    flowId: string,
    claimedBy: string | undefined,
    error: TenantError,
  ): Promise<Tenant | undefined> {
    return this.apply(code, planLostFlowFailure(flowId, claimedBy, error));
  }

  public async recordRunWaiter(
    code: TenantCode,
    flowId: string,
    runId: string,
    taskToken: string,
    now: string,
  ): Promise<boolean> {
    return (await this.changeRow(code, planRunWaiter(flowId, runId, taskToken, now))) !== undefined;
  }

  public async getRunWaiter(code: TenantCode): Promise<RunWaiter | undefined> {
    return runWaiterOf(await this.readRow(code));
  }
}
