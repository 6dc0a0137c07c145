import type {
  RunLocator,
  RunState,
  StartedRun,
  StartRunRequest,
  TerraformBackend,
  TerraformOutputs,
} from '../../core/ports';
import { OutputsNotVisibleError, WorkspaceNotVisibleError } from '../../core/errors';
import type { Tenant } from '../../core/tenant';
import type { TenantCode } from '../../core/tenant-code';
import { tenantInputs, workspaceName } from '../../core/workspace';
import type { TfcClient, TfcLogger, VariableInput } from './client';
import { TfcApiError, TfcNotFoundError, TfcRetriesExhaustedError } from './errors';
import { TfcModuleVersions, type ModuleVersionRef } from './module-versions';
import { NotificationRegistration, type NotificationTarget } from './notification-registration';

export interface TfcBackendOptions {
  /** Base address, for links to runs in failure reasons. */
  address: string;
  organization: string;
  /** Environment name: part of every workspace name and passed to the module. */
  environment: string;
  /** Directory of the Terraform module every tenant's run applies. */
  moduleDir: string;
  /** Label in front of the module's content hash in its version (`<label>+<hash>`). */
  moduleVersionLabel?: string;
  /**
   * TFC project of the environment's workspaces, created when missing (projects.mdx).
   * @default `tenant-control-plane-<environment>`
   */
  project?: string;
  /**
   * Role HCP Terraform assumes through OIDC for the run (dynamic provider credentials). When set, a new
   * workspace gets `TFC_AWS_PROVIDER_AUTH` and `TFC_AWS_RUN_ROLE_ARN`; no static keys are ever set.
   */
  runRoleArn?: string;
  /**
   * Where TFC notifies the end of each run (the receiver) and the HMAC token it signs with: when set, one
   * notification configuration on the environment's project is made sure of before the first run of the
   * process ({@link NotificationRegistration}). Absent, runs are only polled.
   */
  notifications?: NotificationTarget;
}

const registrations = new WeakMap<NotificationTarget, NotificationRegistration>();

/** How long Finalize keeps asking for outputs TFC is still processing (503) before the step fails. */
const OUTPUTS_PROCESSING_WAIT_MS = 60_000;

/** The project of an environment's workspaces unless configured. */
export function defaultProjectName(environment: string): string {
  return `tenant-control-plane-${environment}`;
}

/** Environment variables a new workspace gets for dynamic provider credentials (none without a role). */
export function credentialVariables(options: TfcBackendOptions): VariableInput[] {
  if (!options.runRoleArn) return [];
  return [
    { key: 'TFC_AWS_PROVIDER_AUTH', value: 'true', category: 'env' },
    { key: 'TFC_AWS_RUN_ROLE_ARN', value: options.runRoleArn, category: 'env' },
  ];
}

/**
 * Terraform Cloud / Enterprise as the flow's Terraform backend. A tenant's inputs travel as run-specific
 * variables of each run (run.mdx "Create a Run"), its configuration is the environment's module version
 * (uploaded once, {@link TfcModuleVersions}), and its workspace lives in the environment's project.
 */
export class TfcTerraformBackend implements TerraformBackend {
  private readonly modules: TfcModuleVersions;
  private projectId: Promise<string> | undefined;
  private readonly notifications: NotificationRegistration | undefined;

  public constructor(
    private readonly client: TfcClient,
    private readonly options: TfcBackendOptions,
    logger?: TfcLogger,
  ) {
    const target = options.notifications;
    if (target !== undefined) {
      // Backends of one process given the same target (the local control plane's workers) share one
      // registration, so they never race each other into duplicate configurations.
      this.notifications =
        registrations.get(target) ??
        new NotificationRegistration(client.notifications, target, {
          projectId: () => this.project(),
          logger,
        });
      registrations.set(target, this.notifications);
    }
    this.modules = new TfcModuleVersions(client, {
      environment: options.environment,
      moduleDir: options.moduleDir,
      ...(options.moduleVersionLabel ? { label: options.moduleVersionLabel } : {}),
      projectId: () => this.project(),
    });
  }

  // The port: every error that leaves the adapter, whatever TFC wrote in it, goes through the one scrubber
  // (scrub.ts) here, so the tenant's lastError, its history, the lifecycle event and the logs carry the
  // same scrubbed, bounded text.

  public startRun(request: StartRunRequest): Promise<StartedRun> {
    return this.exit(() => this.start(request));
  }

  public getRun(run: RunLocator): Promise<RunState> {
    return this.exit(() => this.readRun(run));
  }

  /** Discards a run that waits for a person (a finished run is left alone). */
  public discardRun(run: RunLocator & { comment: string }): Promise<void> {
    return this.exit(() => this.discard(run));
  }

  public getOutputs(workspaceId: string, run?: { status?: string }): Promise<TerraformOutputs> {
    return this.exit(() => this.readOutputs(workspaceId, run));
  }

  /**
   * Safe-deletes the workspace whose managed-by and tenant tags this flow's Trigger checked. A 404 is
   * accepted only when the workspace is shown to be gone (see {@link workspaceToDestroy}).
   */
  public deleteWorkspace(workspaceId: string, tenantCode: TenantCode): Promise<void> {
    return this.exit(() => this.removeWorkspace(workspaceId, tenantCode));
  }

  private async exit<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw await this.client.scrub(error);
    }
  }

  /** The environment's project id, looked up (or created) once per process. */
  private project(): Promise<string> {
    const name = this.options.project ?? defaultProjectName(this.options.environment);
    this.projectId ??= this.client.projects
      .ensure(name, `Managed by tenant-control-plane: tenant workspaces of ${this.options.environment}.`)
      .catch((error: unknown) => {
        this.projectId = undefined;
        throw error;
      });
    return this.projectId;
  }

  private async start(request: StartRunRequest): Promise<StartedRun> {
    const { tenant, flowId, destroy } = request;
    const workspace = destroy ? await this.workspaceToDestroy(tenant) : await this.workspaceToApply(tenant);
    // A tenant whose workspace is (shown to be) gone has nothing to destroy, and nothing is created.
    if (workspace === undefined) return {};
    if (request.recover) {
      // Recovery only: listing runs is limited to 30 requests per minute (run.mdx "List Runs").
      const existing = await this.client.findRunByMessage(workspace.id, flowId);
      if (existing) return { workspaceId: workspace.id, runId: existing.id, status: existing.status };
    }
    // Before the run exists, so that its end is notified; never fails the run (polling finishes it).
    const notified = (await this.notifications?.ensureFor(workspace.id)) ?? false;
    if (workspace.created && this.options.runRoleArn) {
      await this.client.upsertVariables(workspace.id, credentialVariables(this.options));
    }
    const module = await this.modules.get();
    const run = await this.createRun(workspace.id, module, {
      isDestroy: destroy,
      message: `tenant-control-plane: ${destroy ? 'destroy' : 'apply'} ${tenant.tenantCode} (flow ${flowId})`,
      variables: tenantInputs(tenant, this.options.environment),
    }).catch(async (error: unknown) => {
      // The cached module version was archived meanwhile (only `uploaded` ones can run): upload again.
      if (!(error instanceof TfcApiError && error.status === 422 && error.mentions(/configuration version/i)))
        throw error;
      this.modules.invalidate(module);
      return this.createRun(workspace.id, await this.modules.get(), {
        isDestroy: destroy,
        message: `tenant-control-plane: ${destroy ? 'destroy' : 'apply'} ${tenant.tenantCode} (flow ${flowId})`,
        variables: tenantInputs(tenant, this.options.environment),
      });
    });
    return {
      workspaceId: workspace.id,
      runId: run.id,
      status: run.status,
      moduleVersion: run.moduleVersion,
      notified,
    };
  }

  private async createRun(
    workspaceId: string,
    module: ModuleVersionRef,
    options: { isDestroy: boolean; message: string; variables: Record<string, string> },
  ): Promise<{ id: string; status: string; moduleVersion: string }> {
    const run = await this.client.createRun(workspaceId, {
      ...options,
      configurationVersionId: module.configurationVersionId,
    });
    return { id: run.id, status: run.status, moduleVersion: module.version };
  }

  /**
   * Create: the workspace of the tenant's name in the environment's project, created if missing.
   * Update: the recorded workspace (a tenant created before ids were recorded is found by name); one
   * that cannot be read is never replaced by a new, empty one, since its state would be lost.
   */
  private async workspaceToApply(tenant: Tenant): Promise<{ id: string; created: boolean }> {
    const name = workspaceName(this.options.environment, tenant.tenantCode);
    if (tenant.action === 'create' || tenant.workspaceId === undefined) {
      return this.client.ensureWorkspace(name, {
        tenantCode: tenant.tenantCode,
        projectId: await this.project(),
      });
    }
    const found = await this.client.workspaces.find({ id: tenant.workspaceId });
    if (found === undefined) {
      throw new WorkspaceNotVisibleError(
        `TFC workspace ${tenant.workspaceId} (${name}) answers 404 (not found or not permitted): ` +
          'the tenant cannot be updated; check the token can read it, or delete and create the tenant again',
      );
    }
    return { id: found.id, created: false };
  }

  /**
   * The tenant's managed workspace to destroy: by recorded id, else by name. Undefined only when it can
   * be shown to be gone: both reads answer 404 and the token can read the organization (a 404 alone means
   * "not found or not permitted", index.mdx).
   * @throws WorkspaceNotVisibleError when it is not visible and that it is gone cannot be shown
   */
  private async workspaceToDestroy(tenant: Tenant): Promise<{ id: string; created: boolean } | undefined> {
    const name = workspaceName(this.options.environment, tenant.tenantCode);
    const { workspaces } = this.client;
    const resource =
      (tenant.workspaceId === undefined ? undefined : await workspaces.find({ id: tenant.workspaceId })) ??
      (await workspaces.find({ name }));
    if (resource === undefined) {
      await this.proveGone(name, tenant.workspaceId);
      return undefined;
    }
    const workspace = await workspaces.managed(resource, tenant.tenantCode);
    return { id: workspace.id, created: false };
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

  private async readRun(run: RunLocator): Promise<RunState> {
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

  private async discard(run: RunLocator & { comment: string }): Promise<void> {
    await this.client.runs.discard(run.runId, run.comment);
  }

  private runUrl(tenantCode: TenantCode, runId: string): string {
    const workspace = workspaceName(this.options.environment, tenantCode);
    const base = this.options.address.replace(/\/+$/, '');
    return `${base}/app/${this.options.organization}/workspaces/${workspace}/runs/${runId}`;
  }

  /**
   * The outputs of the state the run wrote. TFC answers 503 while it processes a new state version
   * ("being processed … Retry the request", state-version-outputs.mdx); a flow woken by its run's
   * notification reads right away, so it keeps asking for up to {@link OUTPUTS_PROCESSING_WAIT_MS}, each
   * round of the client's retries starting again at its shortest delay, instead of failing the step into
   * the state machine's much longer Retry interval.
   */
  private async readOutputs(workspaceId: string, run?: { status?: string }): Promise<TerraformOutputs> {
    const deadline = Date.now() + OUTPUTS_PROCESSING_WAIT_MS;
    for (;;) {
      try {
        return await this.readOutputsOnce(workspaceId, run);
      } catch (error) {
        const processing = error instanceof TfcRetriesExhaustedError && error.lastStatus === 503;
        if (!processing || Date.now() >= deadline) throw error;
      }
    }
  }

  private async readOutputsOnce(workspaceId: string, run?: { status?: string }): Promise<TerraformOutputs> {
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

  private async removeWorkspace(workspaceId: string, tenantCode: TenantCode): Promise<void> {
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
