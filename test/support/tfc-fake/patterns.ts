/**
 * Path patterns shared by the router, the fault queue and `countBy`: `/api/v2/runs/:id` where `:x`
 * matches one segment and a trailing `*` matches the rest, optionally preceded by a method
 * (`"POST /api/v2/runs"`), or a RegExp tested against the path (never the query string).
 */
import type { RequestPattern } from './types';

export type PathParams = Record<string, string>;

/** Matches `path` against a `:param` pattern; returns the decoded params or undefined. */
export function matchPath(pattern: string, path: string): PathParams | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  const params: PathParams = {};
  for (let i = 0; i < want.length; i += 1) {
    const segment = want[i] ?? '';
    if (segment === '*') return params;
    const actual = got[i];
    if (actual === undefined) return undefined;
    if (segment.startsWith(':')) {
      if (actual === '') return undefined;
      params[segment.slice(1)] = decodeURIComponent(actual);
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return want.length === got.length ? params : undefined;
}

function splitMethod(pattern: string): { method: string | undefined; path: string } {
  const match = /^([A-Za-z]+)\s+(\S.*)$/.exec(pattern.trim());
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return { method: match[1].toUpperCase(), path: match[2] };
  }
  return { method: undefined, path: pattern.trim() };
}

function normalize(pattern: RequestPattern): { method: string | undefined; path: string | RegExp } {
  if (typeof pattern === 'string') return splitMethod(pattern);
  if (pattern instanceof RegExp) return { method: undefined, path: pattern };
  return { method: pattern.method?.toUpperCase(), path: pattern.path };
}

/** True when a request (method + path without query) matches the pattern. */
export function matchesRequest(pattern: RequestPattern, method: string, path: string): boolean {
  const { method: wantMethod, path: wantPath } = normalize(pattern);
  if (wantMethod !== undefined && wantMethod !== method.toUpperCase()) return false;
  if (wantPath instanceof RegExp) return wantPath.test(path);
  return matchPath(wantPath, path) !== undefined;
}
