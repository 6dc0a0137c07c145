/** The rollout figure's arithmetic, apart from the bench's servers (its unit test imports nothing else). */
import type { FakeRunView } from '../support/tfc-fake/server';

/** One look at the rollout while it runs: seconds since POST /rollouts and what was seen. */
export interface RolloutSample {
  at: number;
  status: string;
  inProgress: number;
  succeeded: number;
  failed: number;
  /** Tenants in `updating` (GET /fleet byStatus). */
  updating: number;
  /** Runs planning or applying in the fake. */
  executing: number;
}

/**
 * The least time a rollout can take: the canary tenants' runs, `cap` at a time, then the rest's, each run
 * holding one of the organization's `cap` run slots for its whole duration.
 */
export function rolloutFloorSeconds(
  tenants: number,
  canary: number,
  cap: number,
  runDurationMs: number,
): number {
  const canaries = Math.min(canary, tenants);
  const rounds = Math.ceil(canaries / cap) + Math.ceil((tenants - canaries) / cap);
  return (rounds * runDurationMs) / 1000;
}

/** The most runs executing at once (planning to finished), an exact sweep over the runs' timelines. */
export function peakExecuting(runs: ReadonlyArray<Pick<FakeRunView, 'startedAt' | 'finishedAt'>>): number {
  const edges: Array<[number, number]> = [];
  for (const run of runs) {
    if (run.startedAt === undefined) continue;
    edges.push([run.startedAt, 1]);
    if (run.finishedAt !== undefined) edges.push([run.finishedAt, -1]);
  }
  // A run that ends when another starts does not overlap it: ends sort first.
  edges.sort(([a, da], [b, db]) => a - b || da - db);
  let now = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    now += delta;
    peak = Math.max(peak, now);
  }
  return peak;
}

/** Mean of a sampled series over time (each sample holds until the next). */
export function timeAverage(
  samples: ReadonlyArray<{ at: number }>,
  value: (s: RolloutSample) => number,
): number {
  let area = 0;
  for (let i = 1; i < samples.length; i++) {
    const previous = samples[i - 1] as RolloutSample;
    area += value(previous) * ((samples[i] as RolloutSample).at - previous.at);
  }
  const span = (samples.at(-1)?.at ?? 0) - (samples[0]?.at ?? 0);
  return span > 0 ? area / span : Number.NaN;
}
