/**
 * State version outputs (state-version-outputs.mdx) and the ping endpoint go-tfe calls first.
 *
 * Doc quirk: "Show Current State Version Outputs" says sensitive values "will be returned as `null`"
 * while its own sample response shows a sensitive value; the fake follows the text (null). The
 * single-output endpoint does reveal the value, as documented.
 */
import { errorReply, notFound, paginate, type Reply } from './jsonapi';
import type { WorkspaceRecord } from './records';
import { withWorkspace, type HandlerContext, type Route } from './router';
import { serializeOutput } from './serializers';

function currentOutputs(ctx: HandlerContext, ws: WorkspaceRecord): Reply {
  const state = ctx.store.currentState(ws);
  // No state version yet (nothing was ever applied): "State version outputs not found".
  if (state === undefined) return notFound();
  if (state.processedAt > ctx.store.now()) {
    return errorReply(
      503,
      'service unavailable',
      'State version outputs are being processed and are not ready. Retry the request.',
    );
  }
  const path = `/api/v2/workspaces/${ws.id}/current-state-version-outputs`;
  const page = paginate(state.outputs, ctx.query, ctx.store.baseUrl, path);
  return {
    status: 200,
    body: {
      data: page.items.map((output) => serializeOutput(output, true)),
      links: page.links,
      meta: page.meta,
    },
  };
}

function showOutput(ctx: HandlerContext): Reply {
  for (const state of ctx.store.stateVersions.values()) {
    const output = state.outputs.find((candidate) => candidate.id === ctx.params.outputId);
    if (output !== undefined && ctx.store.visible(ctx.store.workspaces.get(state.workspaceId), ctx.token)) {
      return { status: 200, body: { data: serializeOutput(output, false) } };
    }
  }
  return notFound();
}

/** go-tfe's first request: it reads the API version and the rate limit from these headers. */
function ping(): Reply {
  return { status: 204, headers: { 'TFP-API-Version': '2.6', 'TFP-AppName': 'HCP Terraform' } };
}

export const outputRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v2/workspaces/:id/current-state-version-outputs',
    handler: (ctx) => withWorkspace(ctx, (ws) => currentOutputs(ctx, ws)),
  },
  { method: 'GET', path: '/api/v2/state-version-outputs/:outputId', handler: showOutput },
  { method: 'GET', path: '/api/v2/ping', handler: ping, public: true },
];
