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
    const workspace = await this.client.ensureWorkspace(
      workspaceName(this.options.environment, tenant.tenantCode),
      {
        tenantCode: tenant.tenantCode,
      },
    );
    if (request.recover) {
      // Recovery only: listing runs is limited to 30 requests per minute (run.mdx "List Runs").
      const existing = await this.client.findRunByMessage(workspace.id, flowId);
      if (existing) return { workspaceId: workspace.id, runId: existing.id, status: existing.status };
    }
    if (destroy && workspace.created) {
      // The tenant never got as far as a workspace: there is nothing to destroy.
      return { workspaceId: workspace.id };
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

  public async getOutputs(workspaceId: string): Promise<TerraformOutputs> {
    try {
      return await this.client.getCurrentOutputs(workspaceId);
    } catch (error) {
      // A workspace whose only run changed nothing has no state version yet, hence no outputs.
      if (error instanceof TfcNotFoundError) return { values: {}, sensitive: [] };
      throw error;
    }
  }

  public async deleteWorkspace(workspaceId: string, tenantCode: TenantCode): Promise<void> {
    await this.client.safeDeleteWorkspace({ id: workspaceId }, { tenantCode });
  }
}
