import type { Dispatcher } from 'undici';
import { z } from 'zod';
import {
  ConfigurationVersionErroredError,
  ConfigurationVersionMissingError,
  ConfigurationVersionTimeoutError,
  TfcApiError,
  TfcNameTakenError,
  TfcNotFoundError,
  UnmanagedWorkspaceError,
  WorkspaceNotSafeToDeleteError,
} from './errors';
import {
  DEFAULT_RETRY,
  TfcHttp,
  defaultDispatcher,
  parseBody,
  type ApiRequest,
  type RetryOptions,
  type TfcLogger,
} from './http';
import {
  ConfigurationVersionDocument,
  CreatedConfigurationVersionDocument,
  OutputsDocument,
  RunDocument,
  RunsDocument,
  TagBindingsDocument,
  VariablesDocument,
  WorkspaceDocument,
  type RunResource,
  type VariableResource,
  type WorkspaceResource,
} from './resources';
import type { TokenProvider } from './token';
import { RequestPacer } from './pacer';

export type { RetryOptions, TfcLogger } from './http';

export const DEFAULT_TFC_ADDRESS = 'https://app.terraform.io';

/** Key-value tag every workspace the control plane creates carries; nothing without it is deleted. */
export const MANAGED_BY_TAG = { key: 'managed-by', value: 'tenant-control-plane' } as const;
/** Key of the tag naming the tenant that owns a workspace. */
export const TENANT_TAG_KEY = 'tenant';
/**
 * Env-category workspace variable recording which configuration version was uploaded for which module
 * hash. A variable needs only the variable-write permission the client already uses (a description or
 * tags need workspace admin), is structured, and shows in the workspace's Variables page.
 */
export const MODULE_MARKER_VARIABLE = 'TENANT_CONTROL_PLANE_MODULE';

export interface TfcClientOptions {
  /** TFC or Terraform Enterprise base address. @default https://app.terraform.io */
  address?: string;
  organization: string;
  token: TokenProvider;
  /** undici dispatcher (tests pass a MockAgent). @default a keep-alive `Agent` owned by the client */
  dispatcher?: Dispatcher;
  retry?: RetryOptions;
  /** Per-request headers and body timeout. @default 30000 */
  requestTimeoutMs?: number;
  /** How long to wait for an uploaded configuration version to become `uploaded`. */
  configurationVersionPoll?: { attempts?: number; intervalMs?: number };
  /**
   * Most requests per second this client sends (TFC's limit is 30 per user); requests beyond it wait
   * their turn instead of collecting 429s. @default unpaced
   */
  requestsPerSecond?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). @default Math.random */
  random?: () => number;
  logger?: TfcLogger;
}

/** A workspace by id (`ws-…`) or by name within the client's organization. */
export type WorkspaceRef = { id: string } | { name: string };

export interface Workspace {
  id: string;
  name: string;
  /** Key-value tags bound directly to the workspace (not inherited from its project). */
  tags: Record<string, string>;
  autoApply: boolean;
  resourceCount: number | undefined;
  currentConfigurationVersionId: string | undefined;
}

export interface EnsuredWorkspace extends Workspace {
  /** False when the workspace already existed. */
  created: boolean;
}

export interface EnsureWorkspaceOptions {
  tenantCode: string;
  /** Extra key-value tags; the managed-by and tenant tags are always added and win over these. */
  tags?: Record<string, string>;
  /** Project for a new workspace. @default the organization's default project */
  projectId?: string;
}

export interface VariableInput {
  key: string;
  value: string;
  category: 'terraform' | 'env';
  sensitive?: boolean;
  description?: string;
}

export interface UpsertVariablesResult {
  created: string[];
  updated: string[];
  unchanged: string[];
}

export interface ConfigurationVersionResult {
  id: string;
  /** True when the workspace's current configuration version was uploaded for the same content hash. */
  reused: boolean;
}

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
}

export interface CreateRunOptions {
  /** @default the workspace's latest configuration version */
  configurationVersionId?: string;
  isDestroy: boolean;
  /** Put the flow id in it: {@link TfcClient.findRunByMessage} finds the run again after a crash. */
  message: string;
}

export interface Outputs {
  /** Non-sensitive outputs only. */
  values: Record<string, unknown>;
  /** Names of sensitive outputs; their values are never read into memory we keep. */
  sensitive: string[];
}

const ModuleMarker = z.object({ configurationVersionId: z.string(), contentHash: z.string() });

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const seg = encodeURIComponent;

/**
 * HCP Terraform / Terraform Enterprise API client: the operations the tenant flows need, over a
 * retrying JSON:API transport. Build it once per process and share it.
 */
export class TfcClient {
  private readonly http: TfcHttp;
  private readonly organization: string;
  private readonly ownedDispatcher: Dispatcher | undefined;
  private readonly poll: { attempts: number; intervalMs: number };
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger: TfcLogger | undefined;

  public constructor(options: TfcClientOptions) {
    const dispatcher = options.dispatcher ?? defaultDispatcher();
    this.ownedDispatcher = options.dispatcher ? undefined : dispatcher;
    this.organization = options.organization;
    this.sleep = options.sleep ?? realSleep;
    this.logger = options.logger;
    this.poll = { attempts: 30, intervalMs: 1000, ...options.configurationVersionPoll };
    this.http = new TfcHttp({
      address: options.address ?? DEFAULT_TFC_ADDRESS,
      token: options.token,
      dispatcher,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      sleep: this.sleep,
      random: options.random ?? Math.random,
      logger: options.logger,
      ...(options.requestsPerSecond
        ? { pacer: new RequestPacer(options.requestsPerSecond, this.sleep) }
        : {}),
    });
  }

  /** Closes the connection pool the client created (an injected dispatcher is left alone). */
  public async close(): Promise<void> {
    await this.ownedDispatcher?.close();
  }

  /**
   * Creates the workspace (auto-apply, tagged managed-by and tenant), or returns it when the name is
   * taken and it is this tenant's managed workspace; missing tags are then added.
   * @throws UnmanagedWorkspaceError when an existing workspace of that name is not ours
   */
  public async ensureWorkspace(name: string, options: EnsureWorkspaceOptions): Promise<EnsuredWorkspace> {
    const tags = {
      ...options.tags,
      [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value,
      [TENANT_TAG_KEY]: options.tenantCode,
    };
    try {
      const created = await this.createWorkspace(name, tags, options.projectId);
      this.logger?.info('TFC workspace created', { workspaceId: created.id, name });
      return { ...created, created: true };
    } catch (error) {
      if (!(error instanceof TfcNameTakenError)) throw error;
    }
    const existing = await this.getWorkspace({ name });
    assertManaged(existing, options.tenantCode);
    const missing = Object.entries(tags).filter(([key, value]) => existing.tags[key] !== value);
    if (missing.length > 0) await this.addTags(existing.id, missing);
    this.logger?.info('TFC workspace exists', { workspaceId: existing.id, name, tagsAdded: missing.length });
    return { ...existing, tags: { ...existing.tags, ...tags }, created: false };
  }

  /** The workspace with its directly bound key-value tags. */
  public async getWorkspace(ref: WorkspaceRef): Promise<Workspace> {
    const resource = await this.readWorkspace(ref);
    return toWorkspace(resource, await this.readTags(resource.id));
  }

  /**
   * Creates missing variables and updates changed ones; variables not named are left alone. Values are
   * always literal strings (`hcl: false`). A sensitive variable's value cannot be read back, so it is
   * always rewritten; a sensitive variable stays sensitive.
   */
  public async upsertVariables(
    workspaceId: string,
    vars: readonly VariableInput[],
  ): Promise<UpsertVariablesResult> {
    const existing = await this.listVariables(workspaceId);
    return this.applyVariables(workspaceId, existing, vars);
  }

  /**
   * Makes sure the workspace's current configuration version holds the module with `contentHash`:
   * reuses it when it does, otherwise creates one (`auto-queue-runs: false`), uploads the tarball and
   * waits for `uploaded`. The hash is recorded in the {@link MODULE_MARKER_VARIABLE} variable.
   */
  public async ensureConfigurationVersion(
    workspaceId: string,
    tarball: Buffer,
    contentHash: string,
  ): Promise<ConfigurationVersionResult> {
    const workspace = await this.readWorkspace({ id: workspaceId });
    const vars = await this.listVariables(workspaceId);
    const reusable = await this.reusableConfigurationVersion(workspace, vars, contentHash);
    if (reusable !== undefined) {
      this.logger?.info('TFC configuration version reused', {
        workspaceId,
        configurationVersionId: reusable,
      });
      return { id: reusable, reused: true };
    }
    const id = await this.uploadConfigurationVersion(workspaceId, tarball);
    const marker = JSON.stringify({ configurationVersionId: id, contentHash });
    await this.applyVariables(workspaceId, vars, [
      {
        key: MODULE_MARKER_VARIABLE,
        value: marker,
        category: 'env',
        description: 'Set by tenant-control-plane: configuration version uploaded for this module hash.',
      },
    ]);
    this.logger?.info('TFC configuration version uploaded', { workspaceId, configurationVersionId: id });
    return { id, reused: false };
  }

  /**
   * Queues an auto-applied run. Not retried after a 5xx or a mid-flight network error (a repeat could
   * start a second run): look for it with {@link findRunByMessage} before calling again.
   * @throws ConfigurationVersionMissingError when the workspace has no uploaded configuration
   */
  public async createRun(workspaceId: string, options: CreateRunOptions): Promise<Run> {
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
        attributes: { message: options.message, 'is-destroy': options.isDestroy, 'auto-apply': true },
        relationships,
      },
    };
    try {
      const doc = await this.json({ method: 'POST', path: '/api/v2/runs', body }, RunDocument);
      this.logger?.info('TFC run created', { workspaceId, runId: doc.data.id, isDestroy: options.isDestroy });
      return toRun(doc.data);
    } catch (error) {
      if (isUnprocessable(error, /configuration version is missing/i)) {
        throw new ConfigurationVersionMissingError(error);
      }
      throw error;
    }
  }

  public async getRun(runId: string): Promise<Run> {
    const doc = await this.json({ method: 'GET', path: `/api/v2/runs/${seg(runId)}` }, RunDocument);
    return toRun(doc.data);
  }

  /**
   * The newest run on the first page of the workspace's runs whose message contains `needle`.
   * This list endpoint is limited to 30 requests per minute (run.mdx), so call it only to recover.
   */
  public async findRunByMessage(workspaceId: string, needle: string): Promise<Run | undefined> {
    const doc = await this.json(
      {
        method: 'GET',
        path: `/api/v2/workspaces/${seg(workspaceId)}/runs`,
        query: { 'search[basic]': needle },
      },
      RunsDocument,
    );
    const found = doc.data.find((run) => (run.attributes.message ?? '').includes(needle));
    return found && toRun(found);
  }

  /**
   * The workspace's current outputs. Sensitive ones are reported by name only: TFC returns them as null
   * here, and any value it does send is dropped. A 503 (outputs still processing) is retried.
   */
  public async getCurrentOutputs(workspaceId: string): Promise<Outputs> {
    const path = `/api/v2/workspaces/${seg(workspaceId)}/current-state-version-outputs`;
    const doc = await this.json({ method: 'GET', path }, OutputsDocument);
    const entries: Array<[string, unknown]> = [];
    const sensitive: string[] = [];
    for (const { attributes } of doc.data) {
      if (attributes.sensitive) sensitive.push(attributes.name);
      else entries.push([attributes.name, attributes.value]);
    }
    return { values: Object.fromEntries(entries), sensitive };
  }

  /**
   * Deletes the workspace through TFC's safe delete (refused while it still manages resources), only if
   * it carries the managed-by tag (and, when given, the tenant's tag). A workspace already gone is fine.
   * @throws UnmanagedWorkspaceError, WorkspaceNotSafeToDeleteError
   */
  public async safeDeleteWorkspace(
    ref: WorkspaceRef,
    expected: { tenantCode?: string } = {},
  ): Promise<'deleted' | 'already-absent'> {
    let resource: WorkspaceResource;
    try {
      resource = await this.readWorkspace(ref);
    } catch (error) {
      if (error instanceof TfcNotFoundError) return this.absent(ref);
      throw error;
    }
    const workspace = toWorkspace(resource, await this.readTags(resource.id));
    assertManaged(workspace, expected.tenantCode);
    const path = `/api/v2/workspaces/${seg(workspace.id)}/actions/safe-delete`;
    try {
      await this.http.api({ method: 'POST', path, idempotent: true });
    } catch (error) {
      if (error instanceof TfcNotFoundError) return this.absent(ref);
      if (error instanceof TfcApiError && error.status === 409) {
        throw new WorkspaceNotSafeToDeleteError(workspace.id, error);
      }
      throw error;
    }
    this.logger?.info('TFC workspace deleted', { workspaceId: workspace.id, name: workspace.name });
    return 'deleted';
  }

  private absent(ref: WorkspaceRef): 'already-absent' {
    this.logger?.warn('TFC workspace not found (or no permission); treating it as deleted', { ...ref });
    return 'already-absent';
  }

  private async json<T>(req: ApiRequest, schema: z.ZodType<T>): Promise<T> {
    const res = await this.http.api(req);
    return parseBody({ method: req.method, path: req.path }, schema, res.body);
  }

  private async createWorkspace(
    name: string,
    tags: Record<string, string>,
    projectId: string | undefined,
  ): Promise<Workspace> {
    const relationships: Record<string, unknown> = {
      // Key-value tags are bound at creation through the tag-bindings relationship (workspaces.mdx).
      'tag-bindings': {
        data: Object.entries(tags).map(([key, value]) => ({
          type: 'tag-bindings',
          attributes: { key, value },
        })),
      },
    };
    if (projectId !== undefined) relationships.project = { data: { type: 'projects', id: projectId } };
    const body = {
      data: {
        type: 'workspaces',
        attributes: {
          name,
          'auto-apply': true,
          description: `Managed by tenant-control-plane for tenant ${tags[TENANT_TAG_KEY]}.`,
        },
        relationships,
      },
    };
    const path = `/api/v2/organizations/${seg(this.organization)}/workspaces`;
    try {
      // Repeating the POST is harmless: a second one answers "Name has already been taken".
      const doc = await this.json({ method: 'POST', path, body, idempotent: true }, WorkspaceDocument);
      return toWorkspace(doc.data, tags);
    } catch (error) {
      if (isUnprocessable(error, /name has already been taken/i)) throw new TfcNameTakenError(error);
      throw error;
    }
  }

  private async readWorkspace(ref: WorkspaceRef): Promise<WorkspaceResource> {
    const path =
      'id' in ref
        ? `/api/v2/workspaces/${seg(ref.id)}`
        : `/api/v2/organizations/${seg(this.organization)}/workspaces/${seg(ref.name)}`;
    return (await this.json({ method: 'GET', path }, WorkspaceDocument)).data;
  }

  private async readTags(workspaceId: string): Promise<Record<string, string>> {
    const path = `/api/v2/workspaces/${seg(workspaceId)}/tag-bindings`;
    const doc = await this.json({ method: 'GET', path }, TagBindingsDocument);
    return Object.fromEntries(doc.data.map(({ attributes }) => [attributes.key, attributes.value ?? '']));
  }

  /** `PATCH /workspaces/:id/tag-bindings` adds or updates keys and never removes any (workspaces.mdx). */
  private async addTags(workspaceId: string, tags: Array<[string, string]>): Promise<void> {
    const body = { data: tags.map(([key, value]) => ({ type: 'tag-bindings', attributes: { key, value } })) };
    await this.http.api({
      method: 'PATCH',
      path: `/api/v2/workspaces/${seg(workspaceId)}/tag-bindings`,
      body,
    });
  }

  private async listVariables(workspaceId: string): Promise<VariableResource[]> {
    const path = `/api/v2/workspaces/${seg(workspaceId)}/vars`;
    const all: VariableResource[] = [];
    let page: number | undefined = 1;
    // The documented response is one unpaginated list; follow pagination metadata if TFC sends it.
    while (page !== undefined && page <= 50) {
      const query: Record<string, string> | undefined =
        page > 1 ? { 'page[number]': String(page) } : undefined;
      const doc: z.infer<typeof VariablesDocument> = await this.json(
        { method: 'GET', path, query },
        VariablesDocument,
      );
      all.push(...doc.data);
      page = doc.meta?.pagination['next-page'] ?? undefined;
    }
    return all;
  }

  private async applyVariables(
    workspaceId: string,
    existing: readonly VariableResource[],
    vars: readonly VariableInput[],
  ): Promise<UpsertVariablesResult> {
    const result: UpsertVariablesResult = { created: [], updated: [], unchanged: [] };
    const desired = new Map(vars.map((v) => [`${v.category}/${v.key}`, v]));
    for (const input of desired.values()) {
      const current = existing.find(
        (e) => e.attributes.key === input.key && e.attributes.category === input.category,
      );
      if (current === undefined) {
        await this.createVariable(workspaceId, input);
        result.created.push(input.key);
      } else if (needsUpdate(current, input)) {
        await this.updateVariable(workspaceId, current, input);
        result.updated.push(input.key);
      } else {
        result.unchanged.push(input.key);
      }
    }
    this.logger?.info('TFC variables upserted', { workspaceId, ...result });
    return result;
  }

  private async createVariable(workspaceId: string, input: VariableInput): Promise<void> {
    const attributes = {
      key: input.key,
      value: input.value,
      category: input.category,
      hcl: false,
      sensitive: input.sensitive ?? false,
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    const body = { data: { type: 'vars', attributes } };
    await this.http.api({ method: 'POST', path: `/api/v2/workspaces/${seg(workspaceId)}/vars`, body });
  }

  private async updateVariable(
    workspaceId: string,
    current: VariableResource,
    input: VariableInput,
  ): Promise<void> {
    const attributes = {
      value: input.value,
      hcl: false,
      ...(input.sensitive === true ? { sensitive: true } : {}),
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    const body = { data: { type: 'vars', id: current.id, attributes } };
    const path = `/api/v2/workspaces/${seg(workspaceId)}/vars/${seg(current.id)}`;
    await this.http.api({ method: 'PATCH', path, body });
  }

  private async reusableConfigurationVersion(
    workspace: WorkspaceResource,
    vars: readonly VariableResource[],
    contentHash: string,
  ): Promise<string | undefined> {
    const currentId = workspace.relationships?.['current-configuration-version']?.data?.id;
    const markerVar = vars.find(
      (v) => v.attributes.key === MODULE_MARKER_VARIABLE && v.attributes.category === 'env',
    );
    const marker = ModuleMarker.safeParse(parseJsonOrUndefined(markerVar?.attributes.value));
    if (currentId === undefined || !marker.success) return undefined;
    if (marker.data.configurationVersionId !== currentId || marker.data.contentHash !== contentHash)
      return undefined;
    // An API-created configuration version is usable for runs only while `uploaded` (not `archived`).
    const cv = await this.json(
      { method: 'GET', path: `/api/v2/configuration-versions/${seg(currentId)}` },
      ConfigurationVersionDocument,
    );
    return cv.data.attributes.status === 'uploaded' ? currentId : undefined;
  }

  private async uploadConfigurationVersion(workspaceId: string, tarball: Buffer): Promise<string> {
    const body = { data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } } };
    const path = `/api/v2/workspaces/${seg(workspaceId)}/configuration-versions`;
    const created = await this.json({ method: 'POST', path, body }, CreatedConfigurationVersionDocument);
    const { id } = created.data;
    await this.http.upload(created.data.attributes['upload-url'], tarball);
    await this.waitUntilUploaded(id);
    return id;
  }

  private async waitUntilUploaded(id: string): Promise<void> {
    let status = 'pending';
    for (let attempt = 1; attempt <= this.poll.attempts; attempt += 1) {
      const doc = await this.json(
        { method: 'GET', path: `/api/v2/configuration-versions/${seg(id)}` },
        ConfigurationVersionDocument,
      );
      status = doc.data.attributes.status;
      if (status === 'uploaded') return;
      if (status === 'errored') {
        throw new ConfigurationVersionErroredError(id, doc.data.attributes['error-message'] ?? undefined);
      }
      if (attempt < this.poll.attempts) await this.sleep(this.poll.intervalMs);
    }
    throw new ConfigurationVersionTimeoutError(id, status);
  }
}

function isUnprocessable(error: unknown, pattern: RegExp): error is TfcApiError {
  return error instanceof TfcApiError && error.status === 422 && error.mentions(pattern);
}

function assertManaged(workspace: Workspace, tenantCode: string | undefined): void {
  if (workspace.tags[MANAGED_BY_TAG.key] !== MANAGED_BY_TAG.value) {
    throw new UnmanagedWorkspaceError(
      workspace.name,
      `it lacks the ${MANAGED_BY_TAG.key}:${MANAGED_BY_TAG.value} tag`,
    );
  }
  const owner = workspace.tags[TENANT_TAG_KEY];
  if (tenantCode !== undefined && owner !== tenantCode) {
    throw new UnmanagedWorkspaceError(workspace.name, `it is tagged for tenant '${owner ?? '(none)'}'`);
  }
}

function needsUpdate(current: VariableResource, input: VariableInput): boolean {
  const { attributes } = current;
  if (attributes.sensitive) return true;
  if (input.sensitive === true) return true;
  if (input.description !== undefined && input.description !== (attributes.description ?? '')) return true;
  return attributes.value !== input.value || attributes.hcl;
}

function parseJsonOrUndefined(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toWorkspace(resource: WorkspaceResource, tags: Record<string, string>): Workspace {
  return {
    id: resource.id,
    name: resource.attributes.name,
    tags,
    autoApply: resource.attributes['auto-apply'],
    resourceCount: resource.attributes['resource-count'] ?? undefined,
    currentConfigurationVersionId: resource.relationships?.['current-configuration-version']?.data?.id,
  };
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
  };
}
