import { requestJson, isUnprocessable, seg, type TfcContext } from './context';
import { ConfigurationVersionMissingError, TfcApiError } from './errors';
import { hclStringLiteral } from './hcl';
import { RunDocument, RunsDocument, type RunResource } from './resources';

/** Documented run states (run.mdx "Run States"); TFC may add more, so any string is accepted. */
export type KnownRunStatus =
  | 'pending'
  | 'fetching'
  | 'fetching_completed'
  | 'pre_plan_running'
  | 'pre_plan_completed'
  | 'queuing'
  | 'plan_queued'
  | 'planning'
  | 'planned'
  | 'cost_estimating'
  | 'cost_estimated'
  | 'policy_checking'
  | 'policy_override'
  | 'policy_soft_failed'
  | 'policy_checked'
  | 'confirmed'
  | 'post_plan_running'
  | 'post_plan_completed'
  | 'planned_and_finished'
  | 'planned_and_saved'
  | 'apply_queued'
  | 'applying'
  | 'applied'
  | 'discarded'
  | 'errored'
  | 'canceled'
  | 'force_canceled';
export type RunStatus = KnownRunStatus | (string & {});

export interface Run {
  id: string;
  status: RunStatus;
  message: string;
  isDestroy: boolean;
  hasChanges: boolean | undefined;
  createdAt: string | undefined;
  /** e.g. `{ 'plan-queueable-at': '…', 'applied-at': '…' }`. */
  statusTimestamps: Record<string, string>;
  /** `actions.is-confirmable`: the run waits for a person to confirm its plan. */
  isConfirmable: boolean;
}

export interface CreateRunOptions {
  /** @default the workspace's latest configuration version */
  configurationVersionId?: string;
  isDestroy: boolean;
  /** Put the flow id in it: {@link RunsApi.findByMessage} finds the run again after a crash. */
  message: string;
  /**
   * Run-specific Terraform variables (run.mdx "Create a Run": `attributes.variables`), each value the
   * exact string Terraform receives; they are sent as HCL string literals ({@link hclStringLiteral}).
   */
  variables?: Readonly<Record<string, string>>;
}

/** Runs: create, read, search (run.mdx). */
export class RunsApi {
  public constructor(private readonly ctx: TfcContext) {}

  /**
   * Queues an auto-applied run. Not retried after a 5xx or a mid-flight network error (a repeat could
   * start a second run): look for it with {@link findByMessage} before calling again.
   * @throws ConfigurationVersionMissingError when the workspace has no uploaded configuration
   */
  public async create(workspaceId: string, options: CreateRunOptions): Promise<Run> {
    const relationships: Record<string, unknown> = {
      workspace: { data: { type: 'workspaces', id: workspaceId } },
    };
    if (options.configurationVersionId !== undefined) {
      relationships['configuration-version'] = {
        data: { type: 'configuration-versions', id: options.configurationVersionId },
      };
    }
    const body = {
      data: {
        type: 'runs',
        attributes: {
          message: options.message,
          'is-destroy': options.isDestroy,
          'auto-apply': true,
          ...(options.variables === undefined
            ? {}
            : {
                variables: Object.entries(options.variables).map(([key, value]) => ({
                  key,
                  value: hclStringLiteral(value),
                })),
              }),
        },
        relationships,
      },
    };
    try {
      const doc = await requestJson(this.ctx, { method: 'POST', path: '/api/v2/runs', body }, RunDocument);
      this.ctx.logger?.info('TFC run created', {
        workspaceId,
        runId: doc.data.id,
        isDestroy: options.isDestroy,
      });
      return toRun(doc.data);
    } catch (error) {
      if (isUnprocessable(error, /configuration version is missing/i)) {
        throw new ConfigurationVersionMissingError(error);
      }
      throw error;
    }
  }

  public async get(runId: string): Promise<Run> {
    const doc = await requestJson(
      this.ctx,
      { method: 'GET', path: `/api/v2/runs/${seg(runId)}` },
      RunDocument,
    );
    return toRun(doc.data);
  }

  /**
   * Discards a run paused for confirmation or a policy decision (run.mdx "Discard a Run": 202; 409 when
   * the run is not paused, e.g. already discarded or finished, which is what a repeat would find).
   * @returns false when TFC answered 409
   */
  public async discard(runId: string, comment: string): Promise<boolean> {
    try {
      await this.ctx.http.api({
        method: 'POST',
        path: `/api/v2/runs/${seg(runId)}/actions/discard`,
        body: { comment },
        idempotent: true,
      });
    } catch (error) {
      if (error instanceof TfcApiError && error.status === 409) return false;
      throw error;
    }
    this.ctx.logger?.info('TFC run discarded', { runId });
    return true;
  }

  /**
   * The newest run on the first page of the workspace's runs whose message contains `needle`.
   * This list endpoint is limited to 30 requests per minute (run.mdx), so call it only to recover.
   */
  public async findByMessage(workspaceId: string, needle: string): Promise<Run | undefined> {
    const doc = await requestJson(
      this.ctx,
      {
        method: 'GET',
        path: `/api/v2/workspaces/${seg(workspaceId)}/runs`,
        query: { 'search[basic]': needle },
        bucket: 'runs-list',
      },
      RunsDocument,
    );
    const found = doc.data.find((run) => (run.attributes.message ?? '').includes(needle));
    return found && toRun(found);
  }
}

function toRun(resource: RunResource): Run {
  const { attributes } = resource;
  return {
    id: resource.id,
    status: attributes.status,
    message: attributes.message ?? '',
    isDestroy: attributes['is-destroy'],
    hasChanges: attributes['has-changes'] ?? undefined,
    createdAt: attributes['created-at'] ?? undefined,
    statusTimestamps: attributes['status-timestamps'] ?? {},
    isConfirmable: attributes.actions?.['is-confirmable'] ?? false,
  };
}
