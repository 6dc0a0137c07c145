/**
 * Workspaces API (workspaces.mdx): create, list, show, update, force and safe delete, flat tags and
 * key/value tag bindings. Workspaces are addressed by id or by organization + name.
 */
import {
  InvalidAttributeError,
  errorReply,
  isRecord,
  optionalBoolean,
  optionalString,
  paginate,
  readResourceList,
  readTyped,
  relationshipId,
  relationshipList,
  type Reply,
  type ResourceInput,
} from './jsonapi';
import type { WorkspaceRecord } from './records';
import { withNamedWorkspace, withWorkspace, type HandlerContext, type Route } from './router';
import { serializeTag, serializeTagBinding, serializeWorkspace } from './serializers';
import type { Store, WorkspaceInput } from './store';

/** workspaces.mdx: "can only include letters, numbers, `-`, and `_`". */
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

function stringArray(attrs: Record<string, unknown>, key: string): string[] {
  const value = attrs[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new InvalidAttributeError(`/data/attributes/${key}`, `${key} must be an array of strings`);
  }
  return value;
}

/** Tags from `tag-names` (attribute) and the `tags` relationship (go-tfe WorkspaceCreateOptions.Tags). */
function readTagNames(resource: ResourceInput): string[] {
  const fromRelationship = relationshipList(resource.relationships, 'tags')
    .map((tag) => optionalString(tag.attributes, 'name'))
    .filter((name): name is string => name !== undefined);
  return [...stringArray(resource.attributes, 'tag-names'), ...fromRelationship];
}

/** go-tfe `TagBinding`: `{type: "tag-bindings", attributes: {key, value}}`. */
function readTagBindings(items: readonly ResourceInput[]): { key: string; value: string }[] {
  return items.map((item) => {
    const key = optionalString(item.attributes, 'key');
    if (key === undefined || key === '') {
      throw new InvalidAttributeError('/data/relationships/tag-bindings', "Key can't be blank");
    }
    return { key, value: optionalString(item.attributes, 'value') ?? '' };
  });
}

function validName(name: string | undefined): string {
  if (name === undefined || name === '')
    throw new InvalidAttributeError('/data/attributes/name', "Name can't be blank");
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidAttributeError('/data/attributes/name', 'Name is invalid');
  }
  return name;
}

/** go-tfe tests: `invalid attribute\n\nName has already been taken`. */
function nameTaken(): Reply {
  return errorReply(422, 'invalid attribute', 'Name has already been taken', '/data/attributes/name');
}

/** workspaces.mdx `data.relationships.project.data.id`: the project, else the default one. */
function readProject(ctx: HandlerContext, relationships: Record<string, unknown>): string | undefined {
  const projectId = relationshipId(relationships, 'project');
  if (projectId === undefined) return undefined;
  // Assumed: an unknown project is an invalid attribute (the docs give no text).
  if (!ctx.store.projects.has(projectId)) {
    throw new InvalidAttributeError('/data/relationships/project', 'Project not found');
  }
  return projectId;
}

function createWorkspace(ctx: HandlerContext): Reply {
  const resource = readTyped(ctx.body, 'workspaces');
  const { attributes, relationships } = resource;
  const input: WorkspaceInput = {
    name: validName(optionalString(attributes, 'name')),
    projectId: readProject(ctx, relationships),
    description: optionalString(attributes, 'description') ?? null,
    autoApply: optionalBoolean(attributes, 'auto-apply') ?? false,
    tagNames: readTagNames(resource),
    tagBindings: readTagBindings(relationshipList(relationships, 'tag-bindings')),
  };
  // A name is taken even by a workspace this token may not see.
  if (ctx.store.workspaceByName(input.name) !== undefined) return nameTaken();
  const ws = ctx.store.createWorkspace(input);
  return { status: 201, body: { data: serializeWorkspace(ctx.store, ws) } };
}

function showWorkspace(store: Store, ws: WorkspaceRecord): Reply {
  return { status: 200, body: { data: serializeWorkspace(store, ws) } };
}

/** PATCH: name, description, auto-apply; a `tag-bindings` relationship replaces every binding. */
function updateWorkspace(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  const { attributes, relationships } = readTyped(ctx.body, 'workspaces');
  const projectId = readProject(ctx, relationships);
  if (projectId !== undefined) ws.projectId = projectId;
  const name = optionalString(attributes, 'name');
  if (name !== undefined && name !== ws.name) {
    validName(name);
    if (ctx.store.workspaceByName(name) !== undefined) return nameTaken();
    ctx.store.renameWorkspace(ws, name);
  }
  if ('description' in attributes) ws.description = optionalString(attributes, 'description') ?? null;
  ws.autoApply = optionalBoolean(attributes, 'auto-apply') ?? ws.autoApply;
  const tagNames = stringArray(attributes, 'tag-names');
  if (tagNames.length > 0) ctx.store.addTags(ws, tagNames);
  if (isRecord(relationships['tag-bindings'])) {
    ctx.store.replaceTagBindings(ws, readTagBindings(relationshipList(relationships, 'tag-bindings')));
  }
  ws.updatedAt = ctx.store.now();
  return showWorkspace(ctx.store, ws);
}

function listWorkspaces(ctx: HandlerContext): Reply {
  const search = ctx.query.get('search[name]');
  const tags = (ctx.query.get('search[tags]') ?? '').split(',').filter((tag) => tag !== '');
  const tagged = taggedFilters(ctx.query);
  const projectId = ctx.query.get('filter[project][id]');
  const matching = [...ctx.store.workspaces.values()]
    .filter((ws) => ctx.store.visible(ws, ctx.token))
    .filter((ws) => projectId === null || ws.projectId === projectId)
    .filter((ws) => search === null || ws.name.includes(search))
    .filter((ws) => tags.every((tag) => ws.tagNames.includes(tag)))
    .filter((ws) =>
      tagged.every((f) =>
        ws.tagBindings.some((b) => b.key === f.key && (f.value === undefined || b.value === f.value)),
      ),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  const path = `/api/v2/organizations/${ctx.store.organization}/workspaces`;
  const page = paginate(matching, ctx.query, ctx.store.baseUrl, path);
  return {
    status: 200,
    body: {
      data: page.items.map((ws) => serializeWorkspace(ctx.store, ws)),
      links: page.links,
      meta: page.meta,
    },
  };
}

/** go-tfe encodes tag-binding filters as `filter[tagged][i][key]` / `filter[tagged][i][value]`. */
function taggedFilters(query: URLSearchParams): { key: string; value: string | undefined }[] {
  const filters: { key: string; value: string | undefined }[] = [];
  for (let i = 0; query.has(`filter[tagged][${i}][key]`); i += 1) {
    filters.push({
      key: query.get(`filter[tagged][${i}][key]`) ?? '',
      value: query.get(`filter[tagged][${i}][value]`) ?? undefined,
    });
  }
  return filters;
}

function forceDelete(store: Store, ws: WorkspaceRecord): Reply {
  store.deleteWorkspace(ws);
  return { status: 204 };
}

/** workspaces.mdx "Safe Delete a workspace": 409 while it manages resources (or is locked/processing). */
function safeDelete(store: Store, ws: WorkspaceRecord): Reply {
  const blocker = store.safeDeleteBlocker(ws);
  if (blocker !== undefined) return errorReply(409, 'conflict', blocker);
  return forceDelete(store, ws);
}

function listTags(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  const path = `/api/v2/workspaces/${ws.id}/relationships/tags`;
  const page = paginate(ws.tagNames, ctx.query, ctx.store.baseUrl, path);
  return {
    status: 200,
    body: {
      data: page.items.map((name) => serializeTag(ctx.store, name)),
      links: page.links,
      meta: page.meta,
    },
  };
}

/** Tags by `attributes.name` or by organization tag `id` (workspaces.mdx "Add tags to a workspace"). */
function tagNamesFromBody(ctx: HandlerContext): string[] {
  return readResourceList(ctx.body).map((tag) => {
    const name = optionalString(tag.attributes, 'name');
    const byId = [...ctx.store.tags.entries()].find(([, value]) => value.id === tag.id)?.[0];
    const resolved = name ?? byId;
    if (resolved === undefined)
      throw new InvalidAttributeError('/data', 'must specify at least one tag by ID or name');
    return resolved;
  });
}

function listTagBindings(ws: WorkspaceRecord): Reply {
  return { status: 200, body: { data: ws.tagBindings.map(serializeTagBinding) } };
}

function patchTagBindings(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  ctx.store.upsertTagBindings(ws, readTagBindings(readResourceList(ctx.body)));
  return listTagBindings(ws);
}

const ORG_WS = '/api/v2/organizations/:org/workspaces';
const WS = '/api/v2/workspaces/:id';

export const workspaceRoutes: Route[] = [
  { method: 'POST', path: ORG_WS, handler: createWorkspace },
  { method: 'GET', path: ORG_WS, handler: listWorkspaces },
  {
    method: 'GET',
    path: `${ORG_WS}/:name`,
    handler: (ctx) => withNamedWorkspace(ctx, (ws) => showWorkspace(ctx.store, ws)),
  },
  {
    method: 'PATCH',
    path: `${ORG_WS}/:name`,
    handler: (ctx) => withNamedWorkspace(ctx, (ws) => updateWorkspace(ctx, ws)),
  },
  {
    method: 'DELETE',
    path: `${ORG_WS}/:name`,
    handler: (ctx) => withNamedWorkspace(ctx, (ws) => forceDelete(ctx.store, ws)),
  },
  // go-tfe POSTs here; older workspaces.mdx revisions printed DELETE for the same action, so both work.
  ...['POST', 'DELETE'].map((method) => ({
    method,
    path: `${ORG_WS}/:name/actions/safe-delete`,
    handler: (ctx: HandlerContext) => withNamedWorkspace(ctx, (ws) => safeDelete(ctx.store, ws)),
  })),
  { method: 'GET', path: WS, handler: (ctx) => withWorkspace(ctx, (ws) => showWorkspace(ctx.store, ws)) },
  { method: 'PATCH', path: WS, handler: (ctx) => withWorkspace(ctx, (ws) => updateWorkspace(ctx, ws)) },
  { method: 'DELETE', path: WS, handler: (ctx) => withWorkspace(ctx, (ws) => forceDelete(ctx.store, ws)) },
  {
    method: 'POST',
    path: `${WS}/actions/safe-delete`,
    handler: (ctx) => withWorkspace(ctx, (ws) => safeDelete(ctx.store, ws)),
  },
  {
    method: 'GET',
    path: `${WS}/relationships/tags`,
    handler: (ctx) => withWorkspace(ctx, (ws) => listTags(ctx, ws)),
  },
  {
    method: 'POST',
    path: `${WS}/relationships/tags`,
    handler: (ctx) =>
      withWorkspace(ctx, (ws) => {
        ctx.store.addTags(ws, tagNamesFromBody(ctx));
        return { status: 204 };
      }),
  },
  {
    method: 'DELETE',
    path: `${WS}/relationships/tags`,
    handler: (ctx) =>
      withWorkspace(ctx, (ws) => {
        ctx.store.removeTags(ws, tagNamesFromBody(ctx));
        return { status: 204 };
      }),
  },
  { method: 'GET', path: `${WS}/tag-bindings`, handler: (ctx) => withWorkspace(ctx, listTagBindings) },
  // Without projects, a workspace's effective bindings are its own.
  {
    method: 'GET',
    path: `${WS}/effective-tag-bindings`,
    handler: (ctx) => withWorkspace(ctx, listTagBindings),
  },
  {
    method: 'PATCH',
    path: `${WS}/tag-bindings`,
    handler: (ctx) => withWorkspace(ctx, (ws) => patchTagBindings(ctx, ws)),
  },
];
