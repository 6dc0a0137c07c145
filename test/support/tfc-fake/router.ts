/** A tiny method + path router for the fake's endpoints. */
import { notFound, type Reply } from './jsonapi';
import { matchPath, type PathParams } from './patterns';
import type { WorkspaceRecord } from './records';
import type { Store } from './store';

export interface HandlerContext {
  store: Store;
  params: PathParams;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
  rawBody: Buffer;
}

export type Handler = (ctx: HandlerContext) => Reply;

export interface Route {
  method: string;
  path: string;
  handler: Handler;
  /** Archivist (blob storage) and ping: no bearer token needed (index.mdx "Blob Storage Authentication"). */
  public?: boolean;
  /** The body is binary, not JSON:API (archivist uploads). */
  rawBody?: boolean;
}

export interface RouteMatch {
  route: Route;
  params: PathParams;
}

export function findRoute(routes: readonly Route[], method: string, path: string): RouteMatch | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPath(route.path, path);
    if (params !== undefined) return { route, params };
  }
  return undefined;
}

/** Runs `fn` with the workspace named by `:id`, or answers 404. */
export function withWorkspace(ctx: HandlerContext, fn: (ws: WorkspaceRecord) => Reply): Reply {
  const ws = ctx.store.workspaces.get(ctx.params.id ?? '');
  return ws === undefined ? notFound() : fn(ws);
}

/** Runs `fn` with the workspace named by `:name` in the organization, or answers 404. */
export function withNamedWorkspace(ctx: HandlerContext, fn: (ws: WorkspaceRecord) => Reply): Reply {
  const ws = ctx.store.workspaceByName(ctx.params.name ?? '');
  return ws === undefined ? notFound() : fn(ws);
}
