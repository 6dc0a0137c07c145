/**
 * Runs API (run.mdx): create, show, list per workspace, the apply/discard/cancel actions, and the
 * plans/applies a run points to (plans.mdx, applies.mdx).
 */
import {
  InvalidAttributeError,
  errorReply,
  isRecord,
  notFound,
  optionalBoolean,
  optionalString,
  paginate,
  readTyped,
  relationshipId,
  type Reply,
} from './jsonapi';
import type { ConfigurationVersionRecord, RunRecord, WorkspaceRecord } from './records';
import { withWorkspace, type HandlerContext, type Route } from './router';
import { isCancelable, isConfirmable, isDiscardable, runStatusAt } from './run-timeline';
import { serializeConfigurationVersion, serializePhase, serializeRun } from './serializers';
import type { Store } from './store';

/** run.mdx: the default `message`. */
const DEFAULT_MESSAGE = 'Queued manually via the Terraform Enterprise API';

/**
 * terraform-provider-tfe #2145 quotes TFC's answer for a workspace that never had a configuration
 * version: `unprocessable entity` / `Configuration version is missing`.
 */
function configurationVersionMissing(): Reply {
  return errorReply(422, 'unprocessable entity', 'Configuration version is missing');
}

function stringList(attrs: Record<string, unknown>, key: string): string[] | null {
  const value = attrs[key];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new InvalidAttributeError(`/data/attributes/${key}`, `${key} must be an array of strings`);
  }
  return value;
}

/**
 * run.mdx "Sample Run Variables": `[{ key, value }]`, values as HCL literals ("All values must be
 * expressed as an HCL literal"); the run decodes them (hcl.ts) and fails its plan on a non-literal.
 */
function runVariables(attrs: Record<string, unknown>): { key: string; value: string }[] {
  const value = attrs.variables;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new InvalidAttributeError('/data/attributes/variables', 'variables must be an array');
  return value.map((item) => {
    if (!isRecord(item) || typeof item.key !== 'string' || typeof item.value !== 'string') {
      throw new InvalidAttributeError(
        '/data/attributes/variables',
        'each variable needs a string key and value',
      );
    }
    return { key: item.key, value: item.value };
  });
}

/** The explicit configuration version, or the workspace's latest uploaded one (run.mdx "Create a Run"). */
function pickConfigurationVersion(
  store: Store,
  ws: WorkspaceRecord,
  cvId: string | undefined,
  token: string | undefined,
): ConfigurationVersionRecord | Reply {
  if (cvId === undefined) return store.latestUploadedVersion(ws) ?? configurationVersionMissing();
  const cv = store.configurationVersions.get(cvId);
  // run.mdx: "a pre-existing configuration version, even one from another workspace" (one this
  // token can see).
  if (cv === undefined || !store.visible(store.workspaces.get(cv.workspaceId), token)) return notFound();
  // configuration-versions.mdx: "can only be used in runs if it is in an `uploaded` state" (so not
  // `archived`); the 422's text is not documented (assumed).
  const status = store.configurationVersionStatus(cv);
  if (status !== 'uploaded') {
    return errorReply(
      422,
      'unprocessable entity',
      `Configuration version is ${status}; only uploaded versions can run`,
    );
  }
  return cv;
}

function createRun(ctx: HandlerContext): Reply {
  const { attributes, relationships } = readTyped(ctx.body, 'runs');
  const workspaceId = relationshipId(relationships, 'workspace');
  if (workspaceId === undefined) {
    throw new InvalidAttributeError('/data/relationships/workspace', 'Workspace relationship is required');
  }
  const ws = ctx.store.workspaces.get(workspaceId);
  if (!ctx.store.visible(ws, ctx.token)) return notFound();
  const cvId = relationshipId(relationships, 'configuration-version');
  const cv = pickConfigurationVersion(ctx.store, ws, cvId, ctx.token);
  if ('status' in cv) return cv;
  const isDestroy = optionalBoolean(attributes, 'is-destroy') ?? false;
  const refreshOnly = optionalBoolean(attributes, 'refresh-only') ?? false;
  if (isDestroy && refreshOnly) {
    throw new InvalidAttributeError(
      '/data/attributes/is-destroy',
      'is-destroy and refresh-only are mutually exclusive',
    );
  }
  const run = ctx.store.createRun({
    workspace: ws,
    configurationVersion: cv,
    message: optionalString(attributes, 'message') ?? DEFAULT_MESSAGE,
    source: 'tfe-api',
    isDestroy,
    autoApply: optionalBoolean(attributes, 'auto-apply') ?? ws.autoApply,
    planOnly: cv.speculative || (optionalBoolean(attributes, 'plan-only') ?? false),
    refresh: optionalBoolean(attributes, 'refresh') ?? true,
    refreshOnly,
    targetAddrs: stringList(attributes, 'target-addrs'),
    replaceAddrs: stringList(attributes, 'replace-addrs'),
    runVariables: runVariables(attributes),
  });
  // The create response shows the run as queued, like run.mdx's sample.
  return { status: 201, body: { data: serializeRun(ctx.store, run, 'pending') } };
}

/** A run whose workspace was deleted (or is hidden from this token) is not found. */
function withRun(ctx: HandlerContext, fn: (run: RunRecord) => Reply): Reply {
  const run = ctx.store.runs.get(ctx.params.runId ?? '');
  if (run === undefined || !ctx.store.visible(ctx.store.workspaces.get(run.workspaceId), ctx.token)) {
    return notFound();
  }
  return fn(run);
}

function csv(query: URLSearchParams, key: string): string[] {
  return (query.get(key) ?? '').split(',').filter((item) => item !== '');
}

/** run.mdx "Run Operations". */
function operation(run: RunRecord): string {
  if (run.isDestroy) return 'destroy';
  if (run.refreshOnly) return 'refresh_only';
  return run.planOnly ? 'plan_only' : 'plan_and_apply';
}

/**
 * run.mdx "List Runs in a Workspace": newest first, `filter[status|operation|source]` and go-tfe's
 * `search[basic]` ("VCS username, commit sha, run_id, and run message"; here id and message).
 */
function listRuns(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  const now = ctx.store.now();
  const statuses = csv(ctx.query, 'filter[status]');
  const operations = csv(ctx.query, 'filter[operation]');
  const sources = csv(ctx.query, 'filter[source]');
  const search = (ctx.query.get('search[basic]') ?? '').toLowerCase();
  const runs = ctx.store
    .workspaceRuns(ws)
    .reverse()
    .filter((run) => statuses.length === 0 || statuses.includes(runStatusAt(run, now)))
    .filter((run) => operations.length === 0 || operations.includes(operation(run)))
    .filter((run) => sources.length === 0 || sources.includes(run.source))
    .filter((run) => search === '' || `${run.id} ${run.message}`.toLowerCase().includes(search));
  const page = paginate(runs, ctx.query, ctx.store.baseUrl, `/api/v2/workspaces/${ws.id}/runs`);
  return {
    status: 200,
    body: { data: page.items.map((run) => serializeRun(ctx.store, run)), links: page.links, meta: page.meta },
  };
}

/**
 * run.mdx "Apply a Run" / "Discard a Run" / "Cancel a Run": 202 without a body, or 409 ("Run was not
 * paused for confirmation", "... or priority", "Run was not planning or applying") in another state.
 * The fake applies the action at once (TFC queues it: "might not happen immediately").
 */
function runAction(ctx: HandlerContext, run: RunRecord, action: 'apply' | 'discard' | 'cancel'): Reply {
  const now = ctx.store.now();
  const status = runStatusAt(run, now);
  const allowed = { apply: isConfirmable, discard: isDiscardable, cancel: isCancelable }[action](status);
  if (!allowed)
    return errorReply(409, 'conflict', `transition not allowed: cannot ${action} a run that is ${status}`);
  if (action === 'apply') run.confirmedAt = now;
  else run.interruption = { status: action === 'discard' ? 'discarded' : 'canceled', at: now, from: status };
  return { status: 202 };
}

function showPhase(ctx: HandlerContext, kind: 'plan' | 'apply'): Reply {
  const run = ctx.store.runByPhaseId(kind, ctx.params.phaseId ?? '');
  if (run === undefined || !ctx.store.workspaces.has(run.workspaceId)) return notFound();
  return { status: 200, body: { data: serializePhase(ctx.store, run, kind) } };
}

const RUN = '/api/v2/runs/:runId';

export const runRoutes: Route[] = [
  { method: 'POST', path: '/api/v2/runs', handler: createRun },
  {
    method: 'GET',
    path: RUN,
    handler: (ctx) => withRun(ctx, (run) => ({ status: 200, body: { data: serializeRun(ctx.store, run) } })),
  },
  {
    method: 'GET',
    path: '/api/v2/workspaces/:id/runs',
    handler: (ctx) => withWorkspace(ctx, (ws) => listRuns(ctx, ws)),
  },
  ...(['apply', 'discard', 'cancel'] as const).map((action) => ({
    method: 'POST',
    path: `${RUN}/actions/${action}`,
    handler: (ctx: HandlerContext) => withRun(ctx, (run) => runAction(ctx, run, action)),
  })),
  {
    method: 'GET',
    path: `${RUN}/plan`,
    handler: (ctx) =>
      withRun(ctx, (run) => ({ status: 200, body: { data: serializePhase(ctx.store, run, 'plan') } })),
  },
  {
    method: 'GET',
    path: `${RUN}/apply`,
    handler: (ctx) =>
      withRun(ctx, (run) => ({ status: 200, body: { data: serializePhase(ctx.store, run, 'apply') } })),
  },
  {
    method: 'GET',
    path: `${RUN}/configuration-version`,
    handler: (ctx) =>
      withRun(ctx, (run) => {
        const cv = ctx.store.configurationVersions.get(run.configurationVersionId);
        return cv === undefined
          ? notFound()
          : { status: 200, body: { data: serializeConfigurationVersion(ctx.store, cv) } };
      }),
  },
  { method: 'GET', path: '/api/v2/plans/:phaseId', handler: (ctx) => showPhase(ctx, 'plan') },
  { method: 'GET', path: '/api/v2/applies/:phaseId', handler: (ctx) => showPhase(ctx, 'apply') },
];
