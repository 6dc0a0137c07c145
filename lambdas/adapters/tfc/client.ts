import type { Dispatcher } from 'undici';
import { DEFAULT_TFC_ADDRESS } from '../../core/defaults';
import type { RateBudget } from '../../core/rate-budget';
import { reportRetry, type RetryNotice } from '../../core/retry-reporting';
import { ConfigurationVersionsApi } from './configuration-versions';
import type { TfcContext } from './context';
import { DEFAULT_RETRY, TfcHttp, type RetryOptions, type TfcLogger } from './http';
import { NotificationsApi } from './notifications';
import { OrganizationsApi } from './organizations';
import { OutputsApi, type Outputs } from './outputs';
import { ProjectsApi } from './projects';
import { RunsApi, type CreateRunOptions, type Run } from './runs';
import { scrubError } from './scrub';
import type { TokenProvider } from './token';
import { VariablesApi, type UpsertVariablesResult, type VariableInput } from './variables';
import {
  WorkspacesApi,
  type EnsuredWorkspace,
  type EnsureWorkspaceOptions,
  type Workspace,
  type WorkspaceRef,
} from './workspaces';

export type { RetryOptions, TfcLogger } from './http';
export type { NotificationConfiguration, NotificationScope } from './notifications';
export type { Outputs } from './outputs';
export type { CreateRunOptions, KnownRunStatus, Run, RunStatus } from './runs';
export type { UpsertVariablesResult, VariableInput } from './variables';
export {
  MANAGED_BY_TAG,
  TENANT_TAG_KEY,
  type EnsuredWorkspace,
  type EnsureWorkspaceOptions,
  type Workspace,
  type WorkspaceRef,
} from './workspaces';

export interface TfcClientOptions {
  /** TFC or Terraform Enterprise base address. @default https://app.terraform.io */
  address?: string;
  organization: string;
  token: TokenProvider;
  /**
   * undici dispatcher for the requests, handed to Node's global `fetch` (tests pass a `MockAgent`); the
   * caller closes it. @default fetch's global dispatcher, which keeps connections alive per origin
   */
  dispatcher?: Dispatcher;
  retry?: RetryOptions;
  /**
   * Per-request timeout: the longest wait for the answer's headers, then between two pieces of its body.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /** How long to wait for an uploaded configuration version to become `uploaded`. */
  configurationVersionPoll?: { attempts?: number; intervalMs?: number };
  /**
   * The TFC user's request budget, shared by every client of that user (TFC limits requests per user,
   * api-docs/index.mdx "Rate limiting"): requests beyond it wait their turn instead of collecting 429s.
   * @default unpaced
   */
  budget?: RateBudget;
  /**
   * Told of each retry of a network error or 5xx (never a 429), before its wait. @default the listener of
   * the flow step in progress (`observeRetries`), which shows it on the tenant
   */
  onRetry?: (notice: RetryNotice) => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). @default Math.random */
  random?: () => number;
  logger?: TfcLogger;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * HCP Terraform / Terraform Enterprise API client: one module per resource (workspaces, variables,
 * configuration versions, runs, outputs, organizations, projects, notification configurations) over a retrying JSON:API transport, with the operations the
 * tenant flows need as methods. Build it once per process and share it.
 */
export class TfcClient {
  public readonly workspaces: WorkspacesApi;
  public readonly variables: VariablesApi;
  public readonly configurationVersions: ConfigurationVersionsApi;
  public readonly runs: RunsApi;
  public readonly outputs: OutputsApi;
  public readonly organizations: OrganizationsApi;
  public readonly projects: ProjectsApi;
  public readonly notifications: NotificationsApi;
  private readonly token: TokenProvider;

  public constructor(options: TfcClientOptions) {
    this.token = options.token;
    const sleep = options.sleep ?? realSleep;
    const http = new TfcHttp({
      address: options.address ?? DEFAULT_TFC_ADDRESS,
      token: options.token,
      dispatcher: options.dispatcher,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      sleep,
      random: options.random ?? Math.random,
      logger: options.logger,
      onRetry: options.onRetry ?? reportRetry,
      ...(options.budget ? { budget: options.budget } : {}),
    });
    const ctx: TfcContext = { http, organization: options.organization, logger: options.logger, sleep };
    this.workspaces = new WorkspacesApi(ctx);
    this.variables = new VariablesApi(ctx);
    this.configurationVersions = new ConfigurationVersionsApi(ctx, {
      attempts: 30,
      intervalMs: 1000,
      ...options.configurationVersionPoll,
    });
    this.runs = new RunsApi(ctx);
    this.outputs = new OutputsApi(ctx);
    this.organizations = new OrganizationsApi(ctx);
    this.projects = new ProjectsApi(ctx);
    this.notifications = new NotificationsApi(ctx);
  }

  /**
   * The error as it may leave the adapter: {@link scrubError} with the configured token among the
   * secrets (when the token cannot be read, it cannot be in the error either).
   */
  public async scrub(error: unknown): Promise<unknown> {
    const token = await this.token().catch(() => undefined);
    return scrubError(error, token === undefined ? [] : [token]);
  }

  /** {@link WorkspacesApi.ensure} */
  public ensureWorkspace(name: string, options: EnsureWorkspaceOptions): Promise<EnsuredWorkspace> {
    return this.workspaces.ensure(name, options);
  }

  /** {@link WorkspacesApi.get} */
  public getWorkspace(ref: WorkspaceRef): Promise<Workspace> {
    return this.workspaces.get(ref);
  }

  /** {@link VariablesApi.upsert} */
  public upsertVariables(
    workspaceId: string,
    vars: readonly VariableInput[],
  ): Promise<UpsertVariablesResult> {
    return this.variables.upsert(workspaceId, vars);
  }

  /** {@link RunsApi.create} */
  public createRun(workspaceId: string, options: CreateRunOptions): Promise<Run> {
    return this.runs.create(workspaceId, options);
  }

  /** {@link RunsApi.get} */
  public getRun(runId: string): Promise<Run> {
    return this.runs.get(runId);
  }

  /** {@link RunsApi.findByMessage} */
  public findRunByMessage(workspaceId: string, needle: string): Promise<Run | undefined> {
    return this.runs.findByMessage(workspaceId, needle);
  }

  /** {@link OutputsApi.current} */
  public getCurrentOutputs(workspaceId: string): Promise<Outputs> {
    return this.outputs.current(workspaceId);
  }
}
