/**
 * Configuration versions API (configuration-versions.mdx) and the archivist blob store behind its
 * one-time `upload-url` (index.mdx "Blob Storage Authentication": no bearer token, a secret in the URL).
 */
import { errorReply, notFound, optionalBoolean, paginate, readTyped, type Reply } from './jsonapi';
import type { ConfigurationVersionRecord, WorkspaceRecord } from './records';
import { withWorkspace, type HandlerContext, type Route } from './router';
import { serializeConfigurationVersion } from './serializers';

function createConfigurationVersion(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  // Every attribute has a default, so an empty body is taken (assumed); a document must be typed.
  const { attributes } =
    ctx.body === undefined ? { attributes: {} } : readTyped(ctx.body, 'configuration-versions');
  const cv = ctx.store.createConfigurationVersion(
    ws,
    optionalBoolean(attributes, 'auto-queue-runs') ?? true,
    optionalBoolean(attributes, 'speculative') ?? false,
  );
  return { status: 201, body: { data: serializeConfigurationVersion(ctx.store, cv, true) } };
}

function listConfigurationVersions(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  const versions = ws.configurationVersionIds
    .map((id) => ctx.store.configurationVersions.get(id))
    .filter((cv) => cv !== undefined)
    .reverse();
  const path = `/api/v2/workspaces/${ws.id}/configuration-versions`;
  const page = paginate(versions, ctx.query, ctx.store.baseUrl, path);
  return {
    status: 200,
    body: {
      data: page.items.map((cv) => serializeConfigurationVersion(ctx.store, cv)),
      links: page.links,
      meta: page.meta,
    },
  };
}

/** A version whose workspace is gone, or hidden from this token, is not found. */
function withVersion(ctx: HandlerContext, fn: (cv: ConfigurationVersionRecord) => Reply): Reply {
  const cv = ctx.store.configurationVersions.get(ctx.params.cvId ?? '');
  if (cv === undefined || !ctx.store.visible(ctx.store.workspaces.get(cv.workspaceId), ctx.token)) {
    return notFound();
  }
  return fn(cv);
}

function showConfigurationVersion(ctx: HandlerContext): Reply {
  return withVersion(ctx, (cv) => ({
    status: 200,
    body: { data: serializeConfigurationVersion(ctx.store, cv) },
  }));
}

/**
 * configuration-versions.mdx "Archive a Configuration Version": 202, or 409 unless it is `uploaded`
 * and no run using it is in progress. The 409's text is not documented (assumed).
 */
function archiveConfigurationVersion(ctx: HandlerContext): Reply {
  return withVersion(ctx, (cv) => {
    const status = ctx.store.configurationVersionStatus(cv);
    if (status !== 'uploaded') {
      return errorReply(409, 'conflict', `Configuration version is ${status} and cannot be archived`);
    }
    if (ctx.store.configurationVersionInUse(cv)) {
      return errorReply(409, 'conflict', 'Configuration version has runs in progress and cannot be archived');
    }
    ctx.store.archive(cv);
    return { status: 202 };
  });
}

/** `PUT <upload-url>`: stores the tarball once; the URL is single-use, a second PUT finds nothing. */
function upload(ctx: HandlerContext): Reply {
  const cv = ctx.store.configurationVersionBySecret(ctx.params.secret ?? '');
  if (cv === undefined || cv.upload !== undefined || !ctx.store.workspaces.has(cv.workspaceId)) {
    return { status: 404, raw: 'not found\n', contentType: 'text/plain' };
  }
  ctx.store.upload(cv, ctx.rawBody);
  return { status: 200, raw: '', contentType: 'text/plain' };
}

/** A plan's or apply's `log-read-url`; an errored phase's log ends with the failure message. */
function readLog(ctx: HandlerContext): Reply {
  const id = (ctx.params.secret ?? '').replace(/^logs-/, '');
  const kind = id.startsWith('plan-') ? 'plan' : 'apply';
  const run = ctx.store.runByPhaseId(kind, id);
  if (run === undefined) return { status: 404, raw: 'not found\n', contentType: 'text/plain' };
  const view = ctx.store.runView(run);
  const lines = [
    `Terraform v${ctx.store.terraformVersion}`,
    `Run ${run.id}: ${kind} for ${run.workspaceName}`,
  ];
  const failedHere = view.status === 'errored' && (run.outcome?.phase ?? 'plan') === kind;
  if (failedHere) lines.push('', `Error: ${view.errorMessage ?? 'the fake run failed'}`);
  return { status: 200, raw: `${lines.join('\n')}\n`, contentType: 'text/plain' };
}

const CVS = '/api/v2/workspaces/:id/configuration-versions';
const OBJECT = '/_archivist/v1/object/:secret';

export const configurationVersionRoutes: Route[] = [
  {
    method: 'POST',
    path: CVS,
    handler: (ctx) => withWorkspace(ctx, (ws) => createConfigurationVersion(ctx, ws)),
  },
  {
    method: 'GET',
    path: CVS,
    handler: (ctx) => withWorkspace(ctx, (ws) => listConfigurationVersions(ctx, ws)),
  },
  { method: 'GET', path: '/api/v2/configuration-versions/:cvId', handler: showConfigurationVersion },
  {
    method: 'POST',
    path: '/api/v2/configuration-versions/:cvId/actions/archive',
    handler: archiveConfigurationVersion,
  },
  { method: 'PUT', path: OBJECT, handler: upload, public: true, rawBody: true },
  { method: 'GET', path: OBJECT, handler: readLog, public: true, rawBody: true },
];
