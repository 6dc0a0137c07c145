/**
 * Variable sets API (variable-sets.mdx): a set is created with its variables and its workspace (or
 * project) assignments in one request (`relationships.vars`, `relationships.workspaces`,
 * `relationships.projects`); runs of the workspaces it applies to see its variables (store.ts
 * `variableMap` for the precedence). Covered: create, show, update, delete, list (organization and
 * workspace), variables add/update/delete/list, and applying to or removing from workspaces.
 */
import {
  InvalidAttributeError,
  isRecord,
  notFound,
  optionalBoolean,
  optionalString,
  paginate,
  readResourceList,
  readTyped,
  relationshipList,
  type Reply,
  type ResourceInput,
} from './jsonapi';
import type { VariableRecord, VariableSetRecord } from './records';
import { withWorkspace, type HandlerContext, type Route } from './router';
import { serializeSetVariable, serializeVariableSet } from './serializers';

function readCategory(attrs: Record<string, unknown>): 'terraform' | 'env' {
  const category = optionalString(attrs, 'category');
  if (category === 'terraform' || category === 'env') return category;
  throw new InvalidAttributeError('/data/attributes/category', 'Category is not included in the list');
}

function newVariable(ctx: HandlerContext, set: VariableSetRecord, item: ResourceInput): VariableRecord {
  const { attributes } = item;
  const key = optionalString(attributes, 'key');
  if (key === undefined || key === '') {
    throw new InvalidAttributeError('/data/attributes/key', "Key can't be blank");
  }
  const category = readCategory(attributes);
  if (set.variables.some((v) => v.key === key && v.category === category)) {
    throw new InvalidAttributeError('/data/attributes/key', 'Key has already been taken');
  }
  return {
    id: ctx.store.ids.next('var'),
    workspaceId: set.id,
    key,
    value: optionalString(attributes, 'value') ?? '',
    description: optionalString(attributes, 'description') ?? null,
    category,
    hcl: optionalBoolean(attributes, 'hcl') ?? false,
    sensitive: optionalBoolean(attributes, 'sensitive') ?? false,
    versionId: ctx.store.ids.hex(36),
    createdAt: ctx.store.now(),
  };
}

/** Workspace references that exist and that this token can see; anything else is a 422 (assumed). */
function workspaceIds(ctx: HandlerContext, items: readonly ResourceInput[]): Set<string> {
  const ids = new Set<string>();
  for (const item of items) {
    const id = item.id ?? '';
    if (!ctx.store.visible(ctx.store.workspaces.get(id), ctx.token)) {
      throw new InvalidAttributeError('/data/relationships/workspaces', `Workspace ${id} not found`);
    }
    ids.add(id);
  }
  return ids;
}

function projectIds(ctx: HandlerContext, items: readonly ResourceInput[]): Set<string> {
  const ids = new Set<string>();
  for (const item of items) {
    const id = item.id ?? '';
    if (!ctx.store.projects.has(id)) {
      throw new InvalidAttributeError('/data/relationships/projects', `Project ${id} not found`);
    }
    ids.add(id);
  }
  return ids;
}

function withSet(ctx: HandlerContext, fn: (set: VariableSetRecord) => Reply): Reply {
  const set = ctx.store.variableSets.get(ctx.params.setId ?? '');
  return set === undefined ? notFound() : fn(set);
}

function show(ctx: HandlerContext, set: VariableSetRecord): Reply {
  return { status: 200, body: { data: serializeVariableSet(ctx.store, set) } };
}

/** variable-sets.mdx "Create a Variable Set": the documented success status is 200. */
function createSet(ctx: HandlerContext): Reply {
  const { attributes, relationships } = readTyped(ctx.body, 'varsets');
  const name = optionalString(attributes, 'name');
  if (name === undefined || name === '') {
    throw new InvalidAttributeError('/data/attributes/name', "Name can't be blank");
  }
  if ([...ctx.store.variableSets.values()].some((set) => set.name === name)) {
    throw new InvalidAttributeError('/data/attributes/name', 'Name has already been taken');
  }
  const set: VariableSetRecord = {
    id: ctx.store.ids.next('varset'),
    name,
    description: optionalString(attributes, 'description') ?? '',
    global: optionalBoolean(attributes, 'global') ?? false,
    workspaceIds: workspaceIds(ctx, relationshipList(relationships, 'workspaces')),
    projectIds: projectIds(ctx, relationshipList(relationships, 'projects')),
    variables: [],
    updatedAt: ctx.store.now(),
  };
  for (const item of relationshipList(relationships, 'vars')) set.variables.push(newVariable(ctx, set, item));
  ctx.store.variableSets.set(set.id, set);
  return show(ctx, set);
}

/** PATCH/PUT: attributes as given; a relationship that is present replaces that list ("clears" when empty). */
function updateSet(ctx: HandlerContext, set: VariableSetRecord): Reply {
  const { attributes, relationships } = readTyped(ctx.body, 'varsets');
  set.name = optionalString(attributes, 'name') ?? set.name;
  if ('description' in attributes) set.description = optionalString(attributes, 'description') ?? '';
  set.global = optionalBoolean(attributes, 'global') ?? set.global;
  if (isRecord(relationships.workspaces)) {
    set.workspaceIds = workspaceIds(ctx, relationshipList(relationships, 'workspaces'));
  }
  if (isRecord(relationships.projects)) {
    set.projectIds = projectIds(ctx, relationshipList(relationships, 'projects'));
  }
  if (isRecord(relationships.vars)) {
    const replaced: VariableSetRecord = { ...set, variables: [] };
    for (const item of relationshipList(relationships, 'vars')) {
      replaced.variables.push(newVariable(ctx, replaced, item));
    }
    set.variables = replaced.variables;
  }
  set.updatedAt = ctx.store.now();
  return show(ctx, set);
}

function listSets(ctx: HandlerContext, sets: readonly VariableSetRecord[], path: string): Reply {
  const page = paginate(sets, ctx.query, ctx.store.baseUrl, path);
  return {
    status: 200,
    body: {
      data: page.items.map((set) => serializeVariableSet(ctx.store, set)),
      links: page.links,
      meta: page.meta,
    },
  };
}

function addVariable(ctx: HandlerContext, set: VariableSetRecord): Reply {
  const item = readTyped(ctx.body, 'vars');
  const variable = newVariable(ctx, set, item);
  set.variables.push(variable);
  set.updatedAt = ctx.store.now();
  return { status: 200, body: { data: serializeSetVariable(set, variable) } };
}

function withSetVariable(
  ctx: HandlerContext,
  fn: (set: VariableSetRecord, variable: VariableRecord) => Reply,
): Reply {
  return withSet(ctx, (set) => {
    const variable = set.variables.find((v) => v.id === ctx.params.varId);
    return variable === undefined ? notFound() : fn(set, variable);
  });
}

function updateVariable(ctx: HandlerContext, set: VariableSetRecord, variable: VariableRecord): Reply {
  const { attributes } = readTyped(ctx.body, 'vars');
  variable.key = optionalString(attributes, 'key') ?? variable.key;
  variable.value = optionalString(attributes, 'value') ?? variable.value;
  if ('description' in attributes) variable.description = optionalString(attributes, 'description') ?? null;
  if ('category' in attributes) variable.category = readCategory(attributes);
  variable.hcl = optionalBoolean(attributes, 'hcl') ?? variable.hcl;
  variable.sensitive = optionalBoolean(attributes, 'sensitive') ?? variable.sensitive;
  variable.versionId = ctx.store.ids.hex(36);
  set.updatedAt = ctx.store.now();
  return { status: 200, body: { data: serializeSetVariable(set, variable) } };
}

/** "Apply Variable Set to Workspaces" / "Remove Variable Set from Workspaces": `data[]` of workspaces. */
function assign(ctx: HandlerContext, set: VariableSetRecord, add: boolean): Reply {
  for (const id of workspaceIds(ctx, readResourceList(ctx.body))) {
    if (add) set.workspaceIds.add(id);
    else set.workspaceIds.delete(id);
  }
  return { status: 204 };
}

const ORG_SETS = '/api/v2/organizations/:org/varsets';
const SET = '/api/v2/varsets/:setId';

export const variableSetRoutes: Route[] = [
  { method: 'POST', path: ORG_SETS, handler: createSet },
  {
    method: 'GET',
    path: ORG_SETS,
    handler: (ctx) =>
      listSets(
        ctx,
        [...ctx.store.variableSets.values()],
        `/api/v2/organizations/${ctx.store.organization}/varsets`,
      ),
  },
  {
    method: 'GET',
    path: '/api/v2/workspaces/:id/varsets',
    handler: (ctx) =>
      withWorkspace(ctx, (ws) =>
        listSets(
          ctx,
          [...ctx.store.variableSets.values()].filter(
            (set) => set.global || set.workspaceIds.has(ws.id) || set.projectIds.has(ws.projectId),
          ),
          `/api/v2/workspaces/${ws.id}/varsets`,
        ),
      ),
  },
  { method: 'GET', path: SET, handler: (ctx) => withSet(ctx, (set) => show(ctx, set)) },
  ...['PATCH', 'PUT'].map((method) => ({
    method,
    path: SET,
    handler: (ctx: HandlerContext) => withSet(ctx, (set) => updateSet(ctx, set)),
  })),
  {
    method: 'DELETE',
    path: SET,
    handler: (ctx) =>
      withSet(ctx, (set) => {
        ctx.store.variableSets.delete(set.id);
        return { status: 204 };
      }),
  },
  {
    method: 'GET',
    path: `${SET}/relationships/vars`,
    handler: (ctx) =>
      withSet(ctx, (set) => ({
        status: 200,
        body: { data: set.variables.map((v) => serializeSetVariable(set, v)) },
      })),
  },
  {
    method: 'POST',
    path: `${SET}/relationships/vars`,
    handler: (ctx) => withSet(ctx, (s) => addVariable(ctx, s)),
  },
  {
    method: 'PATCH',
    path: `${SET}/relationships/vars/:varId`,
    handler: (ctx) => withSetVariable(ctx, (set, v) => updateVariable(ctx, set, v)),
  },
  {
    method: 'DELETE',
    path: `${SET}/relationships/vars/:varId`,
    handler: (ctx) =>
      withSetVariable(ctx, (set, variable) => {
        set.variables = set.variables.filter((v) => v.id !== variable.id);
        return { status: 204 };
      }),
  },
  {
    method: 'POST',
    path: `${SET}/relationships/workspaces`,
    handler: (ctx) => withSet(ctx, (set) => assign(ctx, set, true)),
  },
  {
    method: 'DELETE',
    path: `${SET}/relationships/workspaces`,
    handler: (ctx) => withSet(ctx, (set) => assign(ctx, set, false)),
  },
];
