import { configurationVersionRoutes } from '../support/tfc-fake/routes-configuration-versions';
import { outputRoutes } from '../support/tfc-fake/routes-outputs';
import { projectRoutes } from '../support/tfc-fake/routes-projects';
import { runRoutes } from '../support/tfc-fake/routes-runs';
import { variableRoutes } from '../support/tfc-fake/routes-vars';
import { variableSetRoutes } from '../support/tfc-fake/routes-varsets';
import { workspaceRoutes } from '../support/tfc-fake/routes-workspaces';
import { findRoute } from '../support/tfc-fake/router';
import type { FakeRequestLogEntry } from '../support/tfc-fake/server';

const ROUTES = [
  ...workspaceRoutes,
  ...variableRoutes,
  ...configurationVersionRoutes,
  ...runRoutes,
  ...outputRoutes,
  ...projectRoutes,
  ...variableSetRoutes,
];

/**
 * The endpoint a request hit, as `METHOD /path/:id` from the fake's own route table (ids, names and the
 * upload secret folded into parameters), so requests can be counted per endpoint.
 */
export function endpointOf(entry: Pick<FakeRequestLogEntry, 'method' | 'path'>): string {
  const match = findRoute(ROUTES, entry.method, entry.path);
  const path = match
    ? match.route.path.replace(/:(?!org\b|name\b)[A-Za-z]+/g, ':id')
    : entry.path.replace(/\/[a-z]+-[A-Za-z0-9]{16}(?=\/|$)/g, '/:id');
  return `${entry.method} ${path}`;
}

/** True for requests to the API proper, the ones the 30/s rate limit counts (uploads go to the archivist). */
export function isApiRequest(entry: Pick<FakeRequestLogEntry, 'path'>): boolean {
  return entry.path.startsWith('/api/');
}

export interface RequestSummary {
  /** API requests the fake answered (anything but a 429 of its limiter). */
  answered: number;
  /** 429s of the rate limiter. */
  rateLimited: number;
  /** Requests to the archivist (configuration uploads), outside the API rate limit. */
  uploads: number;
  /** Answered API requests per endpoint. */
  byEndpoint: Map<string, number>;
  /** 429s per endpoint. */
  rateLimitedByEndpoint: Map<string, number>;
  /** Non-2xx answers other than 429, per `status endpoint`. */
  errors: Map<string, number>;
  /** First and last request time (the fake's clock, ms). */
  firstAt: number;
  lastAt: number;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export function summarizeRequests(log: readonly FakeRequestLogEntry[]): RequestSummary {
  const summary: RequestSummary = {
    answered: 0,
    rateLimited: 0,
    uploads: 0,
    byEndpoint: new Map(),
    rateLimitedByEndpoint: new Map(),
    errors: new Map(),
    firstAt: log[0]?.at ?? Number.NaN,
    lastAt: log.at(-1)?.at ?? Number.NaN,
  };
  for (const entry of log) {
    const endpoint = endpointOf(entry);
    if (!isApiRequest(entry)) {
      summary.uploads += 1;
      continue;
    }
    if (entry.answeredBy === 'rate-limit') {
      summary.rateLimited += 1;
      bump(summary.rateLimitedByEndpoint, endpoint);
      continue;
    }
    summary.answered += 1;
    bump(summary.byEndpoint, endpoint);
    if (entry.status >= 300) bump(summary.errors, `${entry.status} ${endpoint}`);
  }
  return summary;
}

/** The highest number of answered API requests in any sliding one-second window. */
export function peakPerSecond(log: readonly FakeRequestLogEntry[]): number {
  const times = log
    .filter((e) => isApiRequest(e) && e.answeredBy !== 'rate-limit')
    .map((e) => e.at)
    .sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= 1000) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/**
 * Answered API requests per second between the first and the last 429: how much of the limit the clients
 * used while they were being throttled (undefined when nothing was throttled).
 */
export function rateWhileThrottled(
  log: readonly FakeRequestLogEntry[],
): { seconds: number; perSecond: number } | undefined {
  const limited = log.filter((e) => e.answeredBy === 'rate-limit').map((e) => e.at);
  const first = limited[0];
  const last = limited.at(-1);
  if (first === undefined || last === undefined || last <= first) return undefined;
  const answered = log.filter(
    (e) => isApiRequest(e) && e.answeredBy !== 'rate-limit' && e.at >= first && e.at <= last,
  ).length;
  const seconds = (last - first) / 1000;
  return { seconds, perSecond: answered / seconds };
}
