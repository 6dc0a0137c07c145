import type { Action, TenantRequestDetail } from '../../lambdas/core/flows';
import type {
  EventPublisher,
  LifecycleEvent,
  LifecycleNotifier,
  RunLocator,
  RunState,
  StartedRun,
  StartRunRequest,
  TerraformBackend,
  TerraformOutputs,
} from '../../lambdas/core/ports';

/** A call's failure, queued for the next call: the port throws it instead of doing its work. */
class Faults {
  private readonly queue: unknown[] = [];

  public add(error: unknown): void {
    this.queue.push(error);
  }

  /** Throws the next queued failure, if any. */
  public next(): void {
    if (this.queue.length) throw this.queue.shift();
  }
}

/** The request buses in memory: every published request event, in order. */
export class MemoryEventPublisher implements EventPublisher {
  public readonly published: { action: Action; detail: TenantRequestDetail }[] = [];
  private readonly faults = new Faults();

  /** The next publish fails with `error` (the bus refused it, or could not be reached). */
  public failNext(error: unknown = new Error('EventBridge unavailable')): void {
    this.faults.add(error);
  }

  public publish(action: Action, detail: TenantRequestDetail): Promise<void> {
    this.faults.next();
    this.published.push({ action, detail: { ...detail } });
    return Promise.resolve();
  }
}

/** The lifecycle topic in memory: every notified event, in order. */
export class MemoryLifecycleNotifier implements LifecycleNotifier {
  public readonly events: LifecycleEvent[] = [];
  private readonly faults = new Faults();

  public failNext(error: unknown = new Error('SNS unavailable')): void {
    this.faults.add(error);
  }

  public notify(event: LifecycleEvent): Promise<void> {
    this.faults.next();
    this.events.push(structuredClone(event));
    return Promise.resolve();
  }
}

interface MemoryRun {
  id: string;
  workspaceId: string;
  flowId: string;
  /** What each getRun answers, in turn; the last one stays. */
  states: Omit<RunState, 'id'>[];
}

/**
 * A Terraform backend in memory: one workspace per tenant, runs whose statuses are scripted per test, and
 * a record of every call. A run started for a flow is found again by `recover`, as the real backends do.
 */
export class MemoryTerraformBackend implements TerraformBackend {
  public readonly started: StartRunRequest[] = [];
  public readonly discarded: (RunLocator & { comment: string })[] = [];
  public readonly deletedWorkspaces: string[] = [];
  public readonly runs = new Map<string, MemoryRun>();
  /** The outputs every workspace shows. */
  public outputs: TerraformOutputs = {
    values: { endpoint: 'https://example.test' },
    sensitive: ['password'],
  };
  /** The module version each run applies. */
  public moduleVersion = 'v1+memory';
  private script: Omit<RunState, 'id'>[] = [
    { status: 'planning' },
    { status: 'applying' },
    { status: 'applied' },
  ];
  private readonly faults = { startRun: new Faults(), getRun: new Faults(), getOutputs: new Faults() };

  /** What the runs started from now on report to successive getRun calls (the last one repeats). */
  /** Whether the runs started from now on will be notified (`StartedRun.notified`). */
  public notifies = false;

  public scriptRuns(...states: (string | Omit<RunState, 'id'>)[]): void {
    this.script = states.map((s) => (typeof s === 'string' ? { status: s } : s));
  }

  public failNext(call: keyof MemoryTerraformBackend['faults'], error: unknown): void {
    this.faults[call].add(error);
  }

  public startRun(request: StartRunRequest): Promise<StartedRun> {
    this.faults.startRun.next();
    this.started.push(request);
    const workspaceId = `ws-${request.tenant.tenantCode}`;
    const found = request.recover
      ? [...this.runs.values()].find((r) => r.flowId === request.flowId)
      : undefined;
    const run = found ?? {
      id: `run-${this.runs.size + 1}`,
      workspaceId,
      flowId: request.flowId,
      states: [...this.script],
    };
    this.runs.set(run.id, run);
    return Promise.resolve({
      workspaceId,
      runId: run.id,
      status: run.states[0]?.status ?? 'pending',
      moduleVersion: this.moduleVersion,
      notified: this.notifies,
    });
  }

  public getRun(locator: RunLocator): Promise<RunState> {
    this.faults.getRun.next();
    const run = this.runs.get(locator.runId);
    if (!run) return Promise.reject(new Error(`no run ${locator.runId}`));
    const state = run.states.length > 1 ? run.states.shift() : run.states[0];
    return Promise.resolve({ id: run.id, status: 'pending', ...state });
  }

  public discardRun(run: RunLocator & { comment: string }): Promise<void> {
    this.discarded.push(run);
    const known = this.runs.get(run.runId);
    if (known) known.states = [{ status: 'discarded' }];
    return Promise.resolve();
  }

  public getOutputs(): Promise<TerraformOutputs> {
    this.faults.getOutputs.next();
    return Promise.resolve(structuredClone(this.outputs));
  }

  public deleteWorkspace(workspaceId: string): Promise<void> {
    this.deletedWorkspaces.push(workspaceId);
    return Promise.resolve();
  }
}
