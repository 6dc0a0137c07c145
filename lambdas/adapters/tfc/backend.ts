import type {
  RunLocator,
  RunState,
  StartedRun,
  StartRunRequest,
  TerraformBackend,
  TerraformOutputs,
} from '../../core/ports';
import type { Tenant } from '../../core/tenant';
import type { TenantCode } from '../../core/tenant-code';
import { tenantInputs, workspaceName } from '../../core/workspace';
import type { TfcClient, VariableInput } from './client';
import { OutputsNotVisibleError, WorkspaceNotVisibleError } from '../../core/errors';
import { TfcNotFoundError } from './errors';
import { buildModuleArchive, type ModuleArchive } from './module-archive';

export interface TfcBackendOptions {
  /** Base address, for links to runs in failure reasons. */
  address: string;
  organization: string;
  /** Environment name: part of every workspace name and passed to the module. */
  environment: string;
  /** Directory of the Terraform module uploaded as each workspace's configuration. */
  moduleDir: string;
  /**
   * Role HCP Terraform assumes through OIDC for the run (dynamic provider credentials). When set, the
   * workspace gets `TFC_AWS_PROVIDER_AUTH` and `TFC_AWS_RUN_ROLE_ARN`; no static keys are ever set.
   */
  runRoleArn?: string;
}

/** The variables the control plane manages on a workspace; tenant values are plain strings, never HCL. */
export function workspaceVariables(tenant: Tenant, options: TfcBackendOptions): VariableInput[] {
  const vars: VariableInput[] = Object.entries(tenantInputs(tenant, options.environment)).map(
    ([key, value]) => ({ key, value, category: 'terraform' as const }),
  );
  if (options.runRoleArn) {
    vars.push(
      { key: 'TFC_AWS_PROVIDER_AUTH', value: 'true', category: 'env' },
      { key: 'TFC_AWS_RUN_ROLE_ARN', value: options.runRoleArn, category: 'env' },
    );
  }
  return vars;
}

/** Terraform Cloud / Enterprise as the flow's Terraform backend. */
export class TfcTerraformBackend implements TerraformBackend {
  private archive: Promise<ModuleArchive> | undefined;

  public constructor(
    private readonly client: TfcClient,
    private readonly options: TfcBackendOptions,
  ) {}

  /** The module is archived once per process: its hash decides whether a new upload is needed. */
  private moduleArchive(): Promise<ModuleArchive> {
    this.archive ??= buildModuleArchive(this.options.moduleDir).catch((error: unknown) => {
      this.archive = undefined;
      throw error;
    });
    return this.archive;
  }

  public async startRun(request: StartRunRequest): Promise<StartedRun> {
    const { tenant, flowId, destroy } = request;
    const workspace = destroy ? await this.workspaceToDestroy(tenant) : await this.workspaceToApply(tenant);
    // A tenant whose workspace is (shown to be) gone has nothing to destroy, and nothing is created.
    if (workspace === undefined) return {};
    if (request.recover) {
      // Recovery only: listing runs is limited to 30 requests per minute (run.mdx "List Runs").
      const existing = await this.client.findRunByMessage(workspace.id, flowId);
      if (existing) return { workspaceId: workspace.id, runId: existing.id, status: existing.status };
    }
    await this.client.upsertVariables(workspace.id, workspaceVariables(tenant, this.options));
    const archive = await this.moduleArchive();
    const configuration = await this.client.ensureConfigurationVersion(
      workspace.id,
      archive.tarball,
      archive.contentHash,
    );
    const run = await this.client.createRun(workspace.id, {
      configurationVersionId: configuration.id,
      isDestroy: destroy,
      message: `tenant-control-plane: ${destroy ? 'destroy' : 'apply'} ${tenant.tenantCode} (flow ${flowId})`,
    });
    return { workspaceId: workspace.id, runId: run.id, status: run.status };
  }

  /**
   * Create: the workspace of the tenant's name, created if missing. Update: the recorded workspace (a
   * tenant created before ids were recorded is found by name); one that cannot be read is never
   * replaced by a new, empty one, since its state would be lost.
   */
  private async workspaceToApply(tenant: Tenant): Promise<{ id: string }> {
    const name = workspaceName(this.options.environment, tenant.tenantCode);
    if (tenant.action === 'create' || tenant.workspaceId === undefined) {
      return this.client.ensureWorkspace(name, { tenantCode: tenant.tenantCode });
    }
    const found = await this.client.workspaces.find({ id: tenant.workspaceId });
    if (found === undefined) {
      throw new WorkspaceNotVisibleError(
        `TFC workspace ${tenant.workspaceId} (${name}) answers 404 (not found or not permitted): ` +
          'the tenant cannot be updated; check the token can read it, or delete and create the tenant again',
      );
    }
    return found;
  }

  /**
   * The tenant's managed workspace to destroy: by recorded id, else by name. Undefined only when it can
   * be shown to be gone: both reads answer 404 and the token can read the organization (a 404 alone means
   * "not found or not permitted", index.mdx).
   * @throws WorkspaceNotVisibleError when it is not visible and that it is gone cannot be shown
   */
  private async workspaceToDestroy(tenant: Tenant): Promise<{ id: string } | undefined> {
    const name = workspaceName(this.options.environment, tenant.tenantCode);
    const { workspaces } = this.client;
    const resource =
      (tenant.workspaceId === undefined ? undefined : await workspaces.find({ id: tenant.workspaceId })) ??
      (await workspaces.find({ name }));
    if (resource === undefined) {
      await this.proveGone(name, tenant.workspaceId);
      return undefined;
    }
    return workspaces.managed(resource, tenant.tenantCode);
  }

  /** Returns when the workspace is shown to be gone; throws WorkspaceNotVisibleError otherwise. */
  private async proveGone(name: string, id: string | undefined): Promise<void> {
    if (await this.client.organizations.readable()) return;
    throw new WorkspaceNotVisibleError(
      `TFC workspace ${name}${id ? ` (${id})` : ''} answers 404 and the token cannot read organization ` +
        `${this.options.organization}: 404 means not found or not permitted, so it is not known to be gone; ` +
        'check the token, then retry the delete',
    );
  }

  public async getRun(run: RunLocator): Promise<RunState> {
    const state = await this.client.getRun(run.runId);
    const url = this.runUrl(run.tenantCode, state.id);
    return {
      id: state.id,
      status: state.status,
      isConfirmable: state.isConfirmable,
      url,
      reason: `Terraform run ${state.id} ended ${state.status}; its plan and apply logs are at ${url}`,
    };
  }

  public async discardRun(run: RunLocator & { comment: string }): Promise<void> {
    await this.client.runs.discard(run.runId, run.comment);
  }

  private runUrl(tenantCode: TenantCode, runId: string): string {
    const workspace = workspaceName(this.options.environment, tenantCode);
    const base = this.options.address.replace(/\/+$/, '');
    return `${base}/app/${this.options.organization}/workspaces/${workspace}/runs/${runId}`;
  }

  public async getOutputs(workspaceId: string, run?: { status?: string }): Promise<TerraformOutputs> {
    try {
      return await this.client.getCurrentOutputs(workspaceId);
    } catch (error) {
      if (!(error instanceof TfcNotFoundError)) throw error;
      // An apply wrote a state version: a 404 then means "not permitted" as much as "not found".
      if (run?.status === 'applied') {
        throw new OutputsNotVisibleError(
          `TFC workspace ${workspaceId} answered 404 for its outputs after an apply (not found or not ` +
            'permitted); check the token can read state outputs, then retry with an update',
          { cause: error },
        );
      }
      // A workspace whose only run changed nothing has no state version yet, hence no outputs.
      return { values: {}, sensitive: [] };
    }
  }

  /**
   * Safe-deletes the workspace whose managed-by and tenant tags this flow's Trigger checked. A 404 is
   * accepted only when the workspace is shown to be gone (see {@link workspaceToDestroy}).
   */
  public async deleteWorkspace(workspaceId: string, tenantCode: TenantCode): Promise<void> {
    if ((await this.client.workspaces.safeDelete(workspaceId)) === 'deleted') return;
    const name = workspaceName(this.options.environment, tenantCode);
    if (await this.client.workspaces.find({ name })) {
      throw new WorkspaceNotVisibleError(
        `TFC workspace ${workspaceId} answers 404 but a workspace named ${name} exists; look at both`,
      );
    }
    await this.proveGone(name, workspaceId);
  }
}
