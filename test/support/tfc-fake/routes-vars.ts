/**
 * Workspace variables API (workspace-variables.mdx): list, create, update, delete. Keys are unique per
 * workspace and category; sensitive values are write-only and come back `null`.
 */
import {
  InvalidAttributeError,
  errorReply,
  notFound,
  optionalBoolean,
  optionalString,
  readTyped,
  type Reply,
} from './jsonapi';
import type { VariableRecord, WorkspaceRecord } from './records';
import { withWorkspace, type HandlerContext, type Route } from './router';
import { serializeVariable } from './serializers';
import type { VariableInput } from './store';

function readCategory(attrs: Record<string, unknown>): 'terraform' | 'env' | undefined {
  const category = optionalString(attrs, 'category');
  if (category === undefined || category === 'terraform' || category === 'env') return category;
  throw new InvalidAttributeError('/data/attributes/category', 'Category is not included in the list');
}

/** Same wording pattern as go-tfe's tests for other uniqueness errors ("Key has already been taken"). */
function keyTaken(): Reply {
  return errorReply(422, 'invalid attribute', 'Key has already been taken', '/data/attributes/key');
}

function listVariables(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  return { status: 200, body: { data: ws.variables.map((v) => serializeVariable(ctx.store, ws, v)) } };
}

function createVariable(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  const { attributes } = readTyped(ctx.body, 'vars');
  const key = optionalString(attributes, 'key');
  if (key === undefined || key === '')
    throw new InvalidAttributeError('/data/attributes/key', "Key can't be blank");
  const category = readCategory(attributes);
  if (category === undefined) {
    throw new InvalidAttributeError('/data/attributes/category', 'Category is not included in the list');
  }
  if (ctx.store.variableTaken(ws, key, category)) return keyTaken();
  const input: VariableInput = {
    key,
    value: optionalString(attributes, 'value') ?? '',
    description: optionalString(attributes, 'description') ?? null,
    category,
    hcl: optionalBoolean(attributes, 'hcl') ?? false,
    sensitive: optionalBoolean(attributes, 'sensitive') ?? false,
  };
  const variable = ctx.store.addVariable(ws, input);
  return { status: 201, body: { data: serializeVariable(ctx.store, ws, variable) } };
}

/** "All of these properties are optional; if omitted, a property will be left unchanged." */
function readChanges(attrs: Record<string, unknown>): Partial<VariableInput> {
  const changes: Partial<VariableInput> = {};
  const key = optionalString(attrs, 'key');
  if (key !== undefined) changes.key = key;
  const value = optionalString(attrs, 'value');
  if (value !== undefined) changes.value = value;
  if ('description' in attrs) changes.description = optionalString(attrs, 'description') ?? null;
  const category = readCategory(attrs);
  if (category !== undefined) changes.category = category;
  const hcl = optionalBoolean(attrs, 'hcl');
  if (hcl !== undefined) changes.hcl = hcl;
  const sensitive = optionalBoolean(attrs, 'sensitive');
  if (sensitive !== undefined) changes.sensitive = sensitive;
  return changes;
}

function updateVariable(ctx: HandlerContext, ws: WorkspaceRecord, variable: VariableRecord): Reply {
  const { attributes } = readTyped(ctx.body, 'vars');
  const changes = readChanges(attributes);
  const key = changes.key ?? variable.key;
  if (ctx.store.variableTaken(ws, key, changes.category ?? variable.category, variable.id)) return keyTaken();
  ctx.store.updateVariable(variable, changes);
  return { status: 200, body: { data: serializeVariable(ctx.store, ws, variable) } };
}

function withVariable(
  ctx: HandlerContext,
  fn: (ws: WorkspaceRecord, variable: VariableRecord) => Reply,
): Reply {
  return withWorkspace(ctx, (ws) => {
    const variable = ws.variables.find((v) => v.id === ctx.params.varId);
    return variable === undefined ? notFound() : fn(ws, variable);
  });
}

const VARS = '/api/v2/workspaces/:id/vars';

export const variableRoutes: Route[] = [
  { method: 'GET', path: VARS, handler: (ctx) => withWorkspace(ctx, (ws) => listVariables(ctx, ws)) },
  { method: 'POST', path: VARS, handler: (ctx) => withWorkspace(ctx, (ws) => createVariable(ctx, ws)) },
  {
    method: 'PATCH',
    path: `${VARS}/:varId`,
    handler: (ctx) => withVariable(ctx, (ws, variable) => updateVariable(ctx, ws, variable)),
  },
  {
    method: 'DELETE',
    path: `${VARS}/:varId`,
    handler: (ctx) =>
      withVariable(ctx, (ws, variable) => {
        ctx.store.deleteVariable(ws, variable);
        return { status: 204 };
      }),
  },
];
