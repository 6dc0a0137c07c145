/** A tiny method + path router for the fake's endpoints. */
import { notFound, type Reply } from './jsonapi';
import { matchPath, type PathParams } from './patterns';
import type { NotificationHub } from './notifications';
import type { WorkspaceRecord } from './records';
import type { Store } from './store';

export interface HandlerContext {
  store: Store;
  params: PathParams;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
  rawBody: Buffer;
  /** The bearer token of the request (undefined for the archivist's public routes). */
  token: string | undefined;
  /** Sends verification requests (notification configurations). */
  notifications: NotificationHub;
}

/** Most handlers answer at once; those that call out first (notification verification) answer later. */
export type Handler = (ctx: HandlerContext) => Reply | Promise<Reply>;

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

/** The methods some route serves on this path (for a 405's `Allow`); empty for an unknown path. */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const methods = routes.filter((route) => matchPath(route.path, path) !== undefined).map((r) => r.method);
  return [...new Set(methods)];
}

/** Runs `fn` with the workspace named by `:id`, or answers 404 (also when this token may not see it). */
export function withWorkspace(ctx: HandlerContext, fn: (ws: WorkspaceRecord) => Reply): Reply {
  const ws = ctx.store.workspaces.get(ctx.params.id ?? '');
  return ctx.store.visible(ws, ctx.token) ? fn(ws) : notFound();
}

/** Runs `fn` with the workspace named by `:name` in the organization, or answers 404. */
export function withNamedWorkspace(ctx: HandlerContext, fn: (ws: WorkspaceRecord) => Reply): Reply {
  const ws = ctx.store.workspaceByName(ctx.params.name ?? '');
  return ctx.store.visible(ws, ctx.token) ? fn(ws) : notFound();
}
