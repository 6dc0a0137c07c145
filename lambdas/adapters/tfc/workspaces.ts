import { requestJson, isUnprocessable, seg, type TfcContext } from './context';
import {
  TfcApiError,
  TfcNameTakenError,
  TfcNotFoundError,
  UnmanagedWorkspaceError,
  WorkspaceNotSafeToDeleteError,
} from './errors';
import { TagBindingsDocument, WorkspaceDocument, type WorkspaceResource } from './resources';

/** Key-value tag every workspace the control plane creates carries; nothing without it is deleted. */
export const MANAGED_BY_TAG = { key: 'managed-by', value: 'tenant-control-plane' } as const;
/** Key of the tag naming the tenant that owns a workspace. */
export const TENANT_TAG_KEY = 'tenant';

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
  /** The tenant that owns the workspace (its `tenant` tag); absent for the control plane's own. */
  tenantCode?: string;
  /** Extra key-value tags; the managed-by and tenant tags are always added and win over these. */
  tags?: Record<string, string>;
  /** @default 'Managed by tenant-control-plane for tenant <code>.' */
  description?: string;
  /** @default true */
  autoApply?: boolean;
  /** Project for a new workspace. @default the organization's default project */
  projectId?: string;
}

/** Workspaces: create, read, tag and safely delete (workspaces.mdx). */
export class WorkspacesApi {
  public constructor(private readonly ctx: TfcContext) {}

  /**
   * Creates the workspace (auto-apply, tagged managed-by and tenant), or returns it when the name is
   * taken and it is this tenant's managed workspace; missing tags are then added.
   * @throws UnmanagedWorkspaceError when an existing workspace of that name is not ours
   */
  public async ensure(name: string, options: EnsureWorkspaceOptions): Promise<EnsuredWorkspace> {
    const tags: Record<string, string> = {
      ...options.tags,
      [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value,
      ...(options.tenantCode === undefined ? {} : { [TENANT_TAG_KEY]: options.tenantCode }),
    };
    try {
      const created = await this.create(name, tags, options);
      this.ctx.logger?.info('TFC workspace created', { workspaceId: created.id, name });
      return { ...created, created: true };
    } catch (error) {
      if (!(error instanceof TfcNameTakenError)) throw error;
    }
    const existing = await this.get({ name });
    assertManaged(existing, options.tenantCode);
    const missing = Object.entries(tags).filter(([key, value]) => existing.tags[key] !== value);
    if (missing.length > 0) await this.addTags(existing.id, missing);
    this.ctx.logger?.info('TFC workspace exists', {
      workspaceId: existing.id,
      name,
      tagsAdded: missing.length,
    });
    return { ...existing, tags: { ...existing.tags, ...tags }, created: false };
  }

  /** The workspace with its directly bound key-value tags. */
  public async get(ref: WorkspaceRef): Promise<Workspace> {
    const resource = await this.read(ref);
    return toWorkspace(resource, await this.readTags(resource.id));
  }

  /** The workspace resource alone (one request; tags are not included). */
  public async read(ref: WorkspaceRef): Promise<WorkspaceResource> {
    const path =
      'id' in ref
        ? `/api/v2/workspaces/${seg(ref.id)}`
        : `/api/v2/organizations/${seg(this.ctx.organization)}/workspaces/${seg(ref.name)}`;
    return (await requestJson(this.ctx, { method: 'GET', path }, WorkspaceDocument)).data;
  }

  /** The workspace resource, or undefined on 404 (which means not found *or* not permitted, index.mdx). */
  public async find(ref: WorkspaceRef): Promise<WorkspaceResource | undefined> {
    try {
      return await this.read(ref);
    } catch (error) {
      if (error instanceof TfcNotFoundError) return undefined;
      throw error;
    }
  }

  /** The workspace with its tags, refused unless it is managed by the control plane for `tenantCode`. */
  public async managed(resource: WorkspaceResource, tenantCode: string): Promise<Workspace> {
    const workspace = toWorkspace(resource, await this.readTags(resource.id));
    assertManaged(workspace, tenantCode);
    return workspace;
  }

  /**
   * TFC's safe delete (`POST /workspaces/:id/actions/safe-delete`, workspaces.mdx): refused while the
   * workspace still manages resources. The caller has checked the workspace is managed.
   * @returns `not-found` on 404, which is not proof that the workspace is gone
   * @throws WorkspaceNotSafeToDeleteError on 409
   */
  public async safeDelete(workspaceId: string): Promise<'deleted' | 'not-found'> {
    const path = `/api/v2/workspaces/${seg(workspaceId)}/actions/safe-delete`;
    try {
      await this.ctx.http.api({ method: 'POST', path, idempotent: true });
    } catch (error) {
      if (error instanceof TfcNotFoundError) return 'not-found';
      if (error instanceof TfcApiError && error.status === 409) {
        throw new WorkspaceNotSafeToDeleteError(workspaceId, error);
      }
      throw error;
    }
    this.ctx.logger?.info('TFC workspace deleted', { workspaceId });
    return 'deleted';
  }

  private async create(
    name: string,
    tags: Record<string, string>,
    options: EnsureWorkspaceOptions,
  ): Promise<Workspace> {
    const { projectId } = options;
    const relationships: Record<string, unknown> = {
      // Key-value tags are bound at creation through the tag-bindings relationship (workspaces.mdx).
      'tag-bindings': {
        data: Object.entries(tags).map(([key, value]) => ({
          type: 'tag-bindings',
          attributes: { key, value },
        })),
      },
    };
    // workspaces.mdx "Create a Workspace": `relationships.project`; the default project when absent.
    if (projectId !== undefined) relationships.project = { data: { type: 'projects', id: projectId } };
    const body = {
      data: {
        type: 'workspaces',
        attributes: {
          name,
          'auto-apply': options.autoApply ?? true,
          description:
            options.description ?? `Managed by tenant-control-plane for tenant ${tags[TENANT_TAG_KEY]}.`,
        },
        relationships,
      },
    };
    const path = `/api/v2/organizations/${seg(this.ctx.organization)}/workspaces`;
    try {
      // Repeating the POST is harmless: a second one answers "Name has already been taken".
      const doc = await requestJson(
        this.ctx,
        { method: 'POST', path, body, idempotent: true },
        WorkspaceDocument,
      );
      return toWorkspace(doc.data, tags);
    } catch (error) {
      if (isUnprocessable(error, /name has already been taken/i)) throw new TfcNameTakenError(error);
      throw error;
    }
  }

  private async readTags(workspaceId: string): Promise<Record<string, string>> {
    const path = `/api/v2/workspaces/${seg(workspaceId)}/tag-bindings`;
    const doc = await requestJson(this.ctx, { method: 'GET', path }, TagBindingsDocument);
    return Object.fromEntries(doc.data.map(({ attributes }) => [attributes.key, attributes.value ?? '']));
  }

  /** `PATCH /workspaces/:id/tag-bindings` adds or updates keys and never removes any (workspaces.mdx). */
  private async addTags(workspaceId: string, tags: Array<[string, string]>): Promise<void> {
    const body = { data: tags.map(([key, value]) => ({ type: 'tag-bindings', attributes: { key, value } })) };
    await this.ctx.http.api({
      method: 'PATCH',
      path: `/api/v2/workspaces/${seg(workspaceId)}/tag-bindings`,
      body,
    });
  }
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

export function toWorkspace(resource: WorkspaceResource, tags: Record<string, string>): Workspace {
  return {
    id: resource.id,
    name: resource.attributes.name,
    tags,
    autoApply: resource.attributes['auto-apply'],
    resourceCount: resource.attributes['resource-count'] ?? undefined,
    currentConfigurationVersionId: resource.relationships?.['current-configuration-version']?.data?.id,
  };
}
