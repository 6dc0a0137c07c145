import { randomBytes } from 'node:crypto';
import {
  FlowStartError,
  RolloutConflictError,
  RolloutNotFoundError,
  TenantConflictError,
  TenantNotFoundError,
  ValidationError,
} from '../core/errors';
import { isInProgress } from '../core/lifecycle';
import type {
  Clock,
  Page,
  RolloutItemOutcome,
  RolloutNotifier,
  RolloutStarter,
  RolloutStore,
  TenantRepository,
} from '../core/ports';
import {
  DEFAULT_ROLLOUT_TIMINGS,
  isDone,
  matchesSelector,
  MAX_LISTED_NOTES,
  MAX_ROLLOUT_TENANTS,
  newRolloutId,
  ROLLOUT_COMMANDS,
  rolloutRequester,
  SELECTABLE_STATUSES,
  shouldHalt,
  type CreateRolloutRequest,
  type Rollout,
  type RolloutCommand,
  type RolloutEventName,
  type RolloutItem,
  type RolloutStepEvent,
  type RolloutTimings,
  type RolloutView,
} from '../core/rollout';
import type { Tenant } from '../core/tenant';
import type { TenantCode } from '../core/tenant-code';
import type { TenantRequests } from './tenant-requests';

export interface RolloutsDeps {
  store: RolloutStore;
  tenants: Pick<TenantRepository, 'get' | 'list'>;
  /** The tenant updates: a rollout starts each tenant's normal update flow, nothing else (the steps need it). */
  requests?: Pick<TenantRequests, 'update'>;
  /** Starts the rollout's executions (create, resume, cancel need it). */
  starter?: RolloutStarter;
  notifier: RolloutNotifier;
  clock: Clock;
  /** The module version the control plane deploys (what every update flow applies). */
  currentModuleVersion: () => Promise<string>;
  timings?: Partial<RolloutTimings>;
  newId?: () => string;
}

/** What the state machine's Plan step answers: the next phase's tenants, or `go: false` to finish. */
export interface RolloutPlan {
  rolloutId: string;
  go: boolean;
  /** `drain`: the rollout stopped starting tenants; those still updating are watched to their end. */
  phase: 'canary' | 'waves' | 'drain' | 'none';
  tenants: string[];
  maxConcurrent: number;
  watchSeconds: number;
  busySeconds: number;
}

/** One tenant's step: `inProgress` (watch it), `busy`/`full` (ask again later), `pending` (apply again), or ended. */
export type ItemStepState = 'inProgress' | 'busy' | 'full' | 'pending' | 'held' | 'done';

const TERMINAL_ITEM = new Set(['succeeded', 'failed', 'skipped']);

/**
 * Fleet rollouts: the API's requests (create, read, pause, resume, cancel) and the steps the rollout state
 * machine runs. The rollout record is the truth: each step re-reads it, so any execution can be stopped
 * and another started (a resume, a restart) without losing or repeating a tenant.
 */
export class Rollouts {
  private readonly timings: RolloutTimings;
  private readonly newId: () => string;

  public constructor(private readonly deps: RolloutsDeps) {
    this.timings = { ...DEFAULT_ROLLOUT_TIMINGS, ...deps.timings };
    this.newId = deps.newId ?? (() => newRolloutId(deps.clock.now(), () => randomBytes(3).toString('hex')));
  }

  private starter(): RolloutStarter {
    if (!this.deps.starter) throw new Error('this function cannot start rollout executions');
    return this.deps.starter;
  }

  private tenantRequests(): Pick<TenantRequests, 'update'> {
    if (!this.deps.requests) throw new Error('this function cannot request tenant updates');
    return this.deps.requests;
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  // ---- API requests ----

  public async create(request: CreateRolloutRequest, requestedBy: string): Promise<RolloutView> {
    const current = await this.deps.currentModuleVersion();
    if (request.moduleVersion !== undefined && request.moduleVersion !== current) {
      throw new ValidationError(
        `module version ${request.moduleVersion} is not the one this control plane deploys (${current}); ` +
          'deploy that module first, or omit moduleVersion',
        [{ path: 'moduleVersion', message: `is not the current module version ${current}` }],
      );
    }
    const selector = request.selector ?? {};
    const tenants = await this.select(request);
    if (tenants.length === 0) {
      throw new ValidationError('the selector matches no tenant; nothing to roll out', [
        { path: 'selector', message: 'matches no tenant' },
      ]);
    }
    const now = this.now();
    const rolloutId = this.newId();
    const canaryCount = Math.min(request.canary, tenants.length);
    const rollout: Rollout = {
      rolloutId,
      status: 'running',
      moduleVersion: current,
      selector,
      maxConcurrent: request.maxConcurrent,
      canary: request.canary,
      maxFailures: request.maxFailures,
      canaryCodes: tenants.slice(0, canaryCount).map((t) => t.tenantCode),
      counts: {
        total: tenants.length,
        pending: tenants.length,
        inProgress: 0,
        succeeded: 0,
        failed: 0,
        skipped: 0,
      },
      haltReason: null,
      requestedBy,
      createdAt: now,
      startedAt: now,
      updatedAt: now,
      endedAt: null,
    };
    const items: RolloutItem[] = tenants.map((t, order) => ({
      rolloutId,
      tenantCode: t.tenantCode,
      order,
      canary: order < canaryCount,
      state: 'pending',
      busyAttempts: 0,
      updatedAt: now,
    }));
    await this.deps.store.create(rollout, items);
    try {
      await this.starter().start(rolloutId, `${rolloutId}-start`);
    } catch (error) {
      await this.deps.store.setStatus(rolloutId, ['running'], 'canceled', this.now(), {
        haltReason: 'the rollout could not be started',
        endedAt: this.now(),
        releaseLock: true,
      });
      throw new FlowStartError(`could not start rollout '${rolloutId}'; no tenant was changed, retry`, {
        cause: error,
      });
    }
    await this.notify('RolloutStarted', rollout);
    return this.view(rollout);
  }

  public async get(rolloutId: string): Promise<RolloutView> {
    const rollout = await this.deps.store.get(rolloutId);
    if (!rollout) throw new RolloutNotFoundError(rolloutId);
    return this.view(rollout);
  }

  public async list(page: { limit: number; nextToken?: string }): Promise<Page<RolloutView>> {
    const result = await this.deps.store.list(page);
    return {
      items: await Promise.all(result.items.map((r) => this.view(r))),
      ...(result.nextToken ? { nextToken: result.nextToken } : {}),
    };
  }

  /** Pause, resume or cancel: one conditional status change, then (resume, cancel) an execution to act on it. */
  public async command(rolloutId: string, command: RolloutCommand): Promise<RolloutView> {
    const rule = ROLLOUT_COMMANDS[command];
    const before = await this.deps.store.get(rolloutId);
    if (!before) throw new RolloutNotFoundError(rolloutId);
    const now = this.now();
    const after = await this.deps.store.setStatus(
      rolloutId,
      rule.from,
      rule.to,
      now,
      command === 'resume' ? { haltReason: null, startedAt: now } : {},
    );
    if (!after) {
      const current = (await this.deps.store.get(rolloutId))?.status ?? before.status;
      throw new RolloutConflictError(
        `cannot ${command} rollout '${rolloutId}' while it is ${current} (${command} needs ${rule.from.join(' or ')})`,
      );
    }
    if (command === 'pause') return this.view(after);
    if (command === 'resume' && before.status === 'halted')
      await this.deps.store.requeueFailed(rolloutId, now);
    try {
      // Resume: drives what is left. Cancel: skips what is pending and frees the module version.
      await this.starter().start(rolloutId, `${rolloutId}-${command}-${Date.parse(now)}`);
    } catch (error) {
      if (command === 'resume') {
        await this.deps.store.setStatus(rolloutId, ['running'], before.status, this.now(), {
          haltReason: before.haltReason,
        });
      }
      throw new FlowStartError(`could not ${command} rollout '${rolloutId}'; retry`, { cause: error });
    }
    const latest = (await this.deps.store.get(rolloutId)) ?? after;
    if (command === 'resume') await this.notify('RolloutStarted', latest);
    return this.view(latest);
  }

  private async view(rollout: Rollout): Promise<RolloutView> {
    const notes = await this.deps.store.notes(rollout.rolloutId, MAX_LISTED_NOTES);
    const view: RolloutView & { canaryCodes?: unknown } = { ...rollout, ...notes };
    delete view.canaryCodes;
    return view;
  }

  /** The selected tenants, ordered by code: every tenant that is not deleted and matches the selector. */
  private async select(request: CreateRolloutRequest): Promise<Tenant[]> {
    const selector = request.selector ?? {};
    if (selector.tenantCodes) {
      const found = await Promise.all(selector.tenantCodes.map((code) => this.deps.tenants.get(code)));
      const missing = selector.tenantCodes.filter((_, i) => !found[i] || found[i]?.status === 'deleted');
      if (missing.length > 0) {
        throw new ValidationError(
          `selector names tenants that do not exist: ${missing.slice(0, 10).join(', ')}`,
          [{ path: 'selector.tenantCodes', message: `no such tenant: ${missing.slice(0, 10).join(', ')}` }],
        );
      }
      return (found as Tenant[])
        .filter((t) => matchesSelector(t, selector))
        .sort((a, b) => a.tenantCode.localeCompare(b.tenantCode));
    }
    const selected: Tenant[] = [];
    for (const status of selector.statuses ?? SELECTABLE_STATUSES) {
      let nextToken: string | undefined;
      do {
        const page = await this.deps.tenants.list({
          status,
          limit: 100,
          ...(nextToken ? { nextToken } : {}),
        });
        selected.push(...page.items.filter((t) => matchesSelector(t, selector)));
        if (selected.length > MAX_ROLLOUT_TENANTS) {
          throw new ValidationError(
            `the selector matches more than ${MAX_ROLLOUT_TENANTS} tenants; narrow it (tier, statuses, tenantCodes)`,
            [{ path: 'selector', message: `matches more than ${MAX_ROLLOUT_TENANTS} tenants` }],
          );
        }
        nextToken = page.nextToken;
      } while (nextToken);
    }
    return selected.sort((a, b) => a.tenantCode.localeCompare(b.tenantCode));
  }

  // ---- State machine steps ----

  /** The next phase: the canary tenants not yet done, then every other tenant not yet done. */
  public async plan(rolloutId: string): Promise<RolloutPlan> {
    const base = {
      rolloutId,
      watchSeconds: this.timings.watchSeconds,
      busySeconds: this.timings.busySeconds,
    };
    const stop: RolloutPlan = { ...base, go: false, phase: 'none', tenants: [], maxConcurrent: 1 };
    const rollout = await this.deps.store.get(rolloutId);
    if (!rollout) return stop;
    const items = await this.deps.store.items(rolloutId);
    const open = (item: RolloutItem) => !TERMINAL_ITEM.has(item.state);
    const go = (phase: RolloutPlan['phase'], list: RolloutItem[]): RolloutPlan => ({
      ...base,
      go: true,
      phase,
      tenants: list.map((i) => i.tenantCode),
      maxConcurrent: rollout.maxConcurrent,
    });
    if (rollout.status !== 'running') {
      // Paused, halted or canceled: no new start, but tenants already updating are watched to their end.
      const inProgress = items.filter((i) => i.state === 'inProgress');
      if (inProgress.length === 0) return stop;
      return go('drain', inProgress);
    }
    const canary = items.filter((i) => i.canary);
    const canaryOpen = canary.filter(open);
    if (canaryOpen.length > 0) return go('canary', canaryOpen);
    const failedCanary = canary.find((i) => i.state === 'failed');
    if (failedCanary) {
      await this.halt(
        rollout,
        `canary tenant '${failedCanary.tenantCode}' failed: ${failedCanary.reason ?? 'see its history'}`,
      );
      return stop;
    }
    const rest = items.filter((i) => !i.canary && open(i));
    if (rest.length === 0) return stop;
    return go('waves', rest);
  }

  /** Starts one tenant's update if the rollout runs, has room, and the tenant can be updated. */
  public async apply(rolloutId: string, code: TenantCode): Promise<ItemStepState> {
    const open = await this.openItem(rolloutId, code);
    if (!open) return 'done';
    const { rollout, item } = open;
    if (item.state === 'inProgress') return 'inProgress';
    if (rollout.status !== 'running') return 'held';
    const current = await this.deps.currentModuleVersion();
    if (current !== rollout.moduleVersion) {
      await this.halt(
        rollout,
        `the deployed module version changed to ${current} during the rollout of ${rollout.moduleVersion}; ` +
          'cancel this rollout and start one of the new version',
      );
      return 'held';
    }
    const tenant = await this.deps.tenants.get(code);
    const skip = (reason: string) => this.finish(rollout, item, 'pending', { state: 'skipped', reason });
    if (!tenant || tenant.status === 'deleted' || tenant.status === 'deleting') {
      await skip(tenant?.status === 'deleting' ? 'being deleted' : 'deleted');
      return 'done';
    }
    const requester = rolloutRequester(rolloutId);
    const adopt = tenant.status === 'updating' && tenant.requestedBy === requester;
    if (!adopt && tenant.status === 'ready' && tenant.moduleVersion === rollout.moduleVersion) {
      await skip(`already on ${rollout.moduleVersion}`);
      return 'done';
    }
    if (!adopt && isInProgress(tenant.status)) return this.busy(rollout, item, `${tenant.status}`);
    const slot = await this.deps.store.startItem(rolloutId, code, this.now());
    if (slot === 'full') return 'full';
    if (slot === 'gone') return 'held';
    if (adopt) {
      // A previous attempt of this step started the update but did not record it.
      await this.deps.store.setItemFlow(rolloutId, code, tenant.flowId, this.now());
      return 'inProgress';
    }
    try {
      const updated = await this.tenantRequests().update(code, {}, requester);
      await this.deps.store.setItemFlow(rolloutId, code, updated.flowId, this.now());
      return 'inProgress';
    } catch (error) {
      if (error instanceof TenantConflictError) {
        await this.deps.store.unstartItem(rolloutId, code, this.now());
        return this.busy(rollout, item, error.currentStatus);
      }
      if (error instanceof TenantNotFoundError) {
        await this.finish(rollout, item, 'inProgress', { state: 'skipped', reason: 'deleted' });
        return 'done';
      }
      await this.deps.store.unstartItem(rolloutId, code, this.now());
      throw error;
    }
  }

  /** Looks at a tenant whose update runs: records its end (and halts the rollout if that is one failure too many). */
  public async watch(rolloutId: string, code: TenantCode): Promise<ItemStepState> {
    const open = await this.openItem(rolloutId, code);
    if (!open) return 'done';
    const { rollout, item } = open;
    if (item.state === 'pending') return 'pending';
    const tenant = await this.deps.tenants.get(code);
    const requester = rolloutRequester(rolloutId);
    let flowId = item.flowId;
    if (flowId === undefined) {
      if (tenant && tenant.requestedBy === requester) {
        flowId = tenant.flowId;
        await this.deps.store.setItemFlow(rolloutId, code, flowId, this.now());
      } else {
        // The place was taken but the update never started: start it again.
        await this.deps.store.unstartItem(rolloutId, code, this.now());
        return 'pending';
      }
    }
    let outcome: RolloutItemOutcome | undefined;
    if (!tenant) outcome = { state: 'skipped', reason: 'deleted' };
    else if (tenant.flowId !== flowId) {
      outcome =
        tenant.moduleVersion === rollout.moduleVersion
          ? { state: 'succeeded' }
          : { state: 'skipped', reason: `another request (${tenant.requestedBy}) took the tenant over` };
    } else if (tenant.status === 'ready') outcome = { state: 'succeeded' };
    else if (tenant.status === 'failed') {
      outcome = {
        state: 'failed',
        reason: tenant.lastError
          ? `${tenant.lastError.code}: ${tenant.lastError.message}`
          : 'the update failed',
      };
    }
    if (!outcome) return 'inProgress';
    await this.finish(rollout, item, 'inProgress', outcome);
    return 'done';
  }

  /** An iteration that could not go on (its steps kept failing): the tenant counts as failed. */
  public async fail(
    rolloutId: string,
    code: TenantCode,
    error: { Error?: string; Cause?: string },
  ): Promise<void> {
    const open = await this.openItem(rolloutId, code);
    if (!open) return;
    const { rollout, item } = open;
    const reason = `the rollout could not drive this tenant: ${error.Error ?? 'error'}${error.Cause ? `: ${error.Cause.slice(0, 300)}` : ''}`;
    await this.finish(rollout, item, item.state === 'pending' ? 'pending' : 'inProgress', {
      state: 'failed',
      reason,
    });
  }

  /**
   * The end of an execution: completes a running rollout with nothing left, and ends a canceled one (its
   * pending tenants skipped); a paused or halted rollout waits for a resume. `error`: the execution itself
   * failed, which halts the rollout (a resume retries).
   */
  public async finishRollout(
    rolloutId: string,
    error?: { Error?: string; Cause?: string },
  ): Promise<{ status: string }> {
    let rollout = await this.deps.store.get(rolloutId);
    if (!rollout) return { status: 'unknown' };
    if (error && rollout.status === 'running') {
      await this.halt(
        rollout,
        `the rollout's execution failed (${error.Error ?? 'error'}); resume it to go on`,
      );
      rollout = (await this.deps.store.get(rolloutId)) ?? rollout;
    }
    const now = this.now();
    if (rollout.status === 'running' && isDone(rollout.counts)) {
      const completed = await this.deps.store.setStatus(rolloutId, ['running'], 'completed', now, {
        endedAt: now,
        releaseLock: true,
      });
      if (completed) await this.notify('RolloutCompleted', completed);
      return { status: completed?.status ?? rollout.status };
    }
    if (rollout.status === 'canceled' && rollout.endedAt === null) {
      // Up to 25 at once: a canceled rollout of thousands of tenants ends within one step.
      const pending = (await this.deps.store.items(rolloutId)).filter((i) => i.state === 'pending');
      for (let i = 0; i < pending.length; i += 25) {
        await Promise.all(
          pending
            .slice(i, i + 25)
            .map((item) =>
              this.deps.store.finishItem(
                rolloutId,
                item.tenantCode,
                'pending',
                { state: 'skipped', reason: 'canceled' },
                now,
              ),
            ),
        );
      }
      const after = (await this.deps.store.get(rolloutId)) ?? rollout;
      if (after.counts.inProgress === 0) {
        await this.deps.store.setStatus(rolloutId, ['canceled'], 'canceled', now, {
          endedAt: now,
          releaseLock: true,
        });
      }
      return { status: 'canceled' };
    }
    return { status: rollout.status };
  }

  /** The rollout and one tenant's item, unless either is gone or the rollout is done with the tenant. */
  private async openItem(
    rolloutId: string,
    code: TenantCode,
  ): Promise<{ rollout: Rollout; item: RolloutItem } | undefined> {
    const [rollout, item] = await Promise.all([
      this.deps.store.get(rolloutId),
      this.deps.store.getItem(rolloutId, code),
    ]);
    return rollout && item && !TERMINAL_ITEM.has(item.state) ? { rollout, item } : undefined;
  }

  private async busy(rollout: Rollout, item: RolloutItem, status: string): Promise<ItemStepState> {
    const attempts = await this.deps.store.noteBusy(rollout.rolloutId, item.tenantCode, this.now());
    if (attempts < this.timings.maxBusyAttempts) return 'busy';
    await this.finish(rollout, item, 'pending', {
      state: 'skipped',
      reason: `was ${status} with another request at each of ${attempts} looks`,
    });
    return 'done';
  }

  private async finish(
    rollout: Rollout,
    item: RolloutItem,
    from: 'pending' | 'inProgress',
    outcome: RolloutItemOutcome,
  ): Promise<void> {
    const after = await this.deps.store.finishItem(
      rollout.rolloutId,
      item.tenantCode,
      from,
      outcome,
      this.now(),
    );
    if (!after || outcome.state !== 'failed' || after.status !== 'running') return;
    if (shouldHalt(after, item.canary)) {
      const which = item.canary ? 'canary tenant' : 'tenant';
      await this.halt(
        after,
        `${which} '${item.tenantCode}' failed (${after.counts.failed} failed, ${after.maxFailures} tolerated): ${outcome.reason ?? ''}`,
      );
    }
  }

  private async halt(rollout: Rollout, reason: string): Promise<void> {
    const halted = await this.deps.store.setStatus(rollout.rolloutId, ['running'], 'halted', this.now(), {
      haltReason: reason,
    });
    if (halted) await this.notify('RolloutHalted', halted, reason);
  }

  private async notify(event: RolloutEventName, rollout: Rollout, reason?: string): Promise<void> {
    await this.deps.notifier.notifyRollout({
      event,
      rolloutId: rollout.rolloutId,
      moduleVersion: rollout.moduleVersion,
      status: rollout.status,
      counts: rollout.counts,
      at: this.now(),
      ...(reason ? { reason } : {}),
    });
  }
}

/** Runs one task of the rollout state machine (one Lambda function serves them all: same permissions). */
export async function runRolloutStep(rollouts: Rollouts, event: RolloutStepEvent): Promise<unknown> {
  switch (event.step) {
    case 'plan':
      return rollouts.plan(event.rolloutId);
    case 'apply':
      return rollouts.apply(event.rolloutId, event.tenantCode);
    case 'watch':
      return rollouts.watch(event.rolloutId, event.tenantCode);
    case 'fail':
      await rollouts.fail(event.rolloutId, event.tenantCode, event.error);
      return {};
    case 'finish':
      return rollouts.finishRollout(event.rolloutId, event.error);
  }
}
