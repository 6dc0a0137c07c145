import type { Command, WaitOptions } from './args';
import { ApiAnswerError, ConnectionError, EXIT_CODES } from './errors';
import { networkCode, progressOutput, toJson } from './render';
import { isSettled, type RolloutPage, type RolloutView, type Sighting } from './rollout';
import { createRolloutProgress, renderRollout, renderRolloutList } from './rollout-render';
import type { Session } from './run';
import { pollUntil } from './wait';

export type RolloutCommand = Extract<
  Command,
  { kind: 'rollout-start' | 'rollout-status' | 'rollout-list' | 'rollout-action' }
>;

/** `tenantctl rollout start|status|list|pause|resume|cancel`. */
export async function executeRollout(command: RolloutCommand, session: Session): Promise<number> {
  const startedAt = session.clock.now();
  switch (command.kind) {
    case 'rollout-list':
      return list(command, session);
    case 'rollout-start': {
      const started = await session.client.startRollout(command.body);
      return settle(session, started, command.wait, startedAt, followHint(started));
    }
    case 'rollout-status': {
      const rollout = await session.client.rollout(command.rolloutId);
      return settle(session, rollout, command.wait, startedAt);
    }
    case 'rollout-action': {
      const rollout = await session.client.rolloutAction(command.rolloutId, command.action);
      return settle(session, rollout, command.wait, startedAt, actionHint(rollout));
    }
  }
}

async function list(command: Extract<Command, { kind: 'rollout-list' }>, session: Session): Promise<number> {
  const { limit, all } = command;
  let page = await session.client.rollouts({ limit, nextToken: command.nextToken });
  const items = [...page.items];
  while (all && page.nextToken) {
    const previous = page.nextToken;
    page = await session.client.rollouts({ limit, nextToken: previous });
    items.push(...page.items);
    if (page.nextToken === previous) break;
  }
  const result: RolloutPage = { items, ...(page.nextToken && !all ? { nextToken: page.nextToken } : {}) };
  session.io.stdout.write(session.json ? toJson(result) : renderRolloutList(result));
  return EXIT_CODES.ok;
}

function show(session: Session, rollout: RolloutView): void {
  session.io.stdout.write(session.json ? toJson(rollout) : renderRollout(rollout));
}

/** Shows the rollout, or with `--wait` follows it until it settles and maps how it ended to the exit code. */
async function settle(
  session: Session,
  first: RolloutView,
  wait: WaitOptions | undefined,
  startedAt: number,
  hint?: string,
): Promise<number> {
  if (!wait) {
    show(session, first);
    if (hint && !session.json) session.io.stderr.write(`${hint}\n`);
    return EXIT_CODES.ok;
  }
  let seen: Sighting = { rollout: first };
  const { outcome, value } = await pollUntil<Sighting>({
    ...wait,
    first: seen,
    poll: async () => (seen = await look(session, seen)),
    settled: (s) => isSettled(s.rollout),
    clock: session.clock,
    startedAt,
    progress: createRolloutProgress(progressOutput(session, startedAt)),
  });
  show(session, value.rollout);
  return outcomeCode(session, outcome, value, wait.timeoutMs);
}

/** API Gateway's and the local server's answers while the backend is briefly unavailable. */
const UNAVAILABLE = new Set([502, 503, 504]);

/**
 * Reads the rollout again. A rollout outlives a lost connection or a restart of the control plane, so
 * `--wait` does too: once the client's own retries are spent, the wait keeps the last view and tries
 * again at the next poll, until its timeout. Any other error ends the command.
 */
async function look(session: Session, last: Sighting): Promise<Sighting> {
  try {
    return { rollout: await session.client.rollout(last.rollout.rolloutId) };
  } catch (error) {
    if (error instanceof ConnectionError) {
      const code = networkCode(error.cause);
      return { rollout: last.rollout, unreachable: `cannot reach the API${code ? ` (${code})` : ''}` };
    }
    if (error instanceof ApiAnswerError && UNAVAILABLE.has(error.status)) {
      return { rollout: last.rollout, unreachable: `the API answers ${error.status} ${error.code}` };
    }
    throw error;
  }
}

/**
 * completed → 0; halted → 1 with the reason; paused and canceled → 0, saying so (someone asked for
 * them); `--wait` out of time → 5.
 */
function outcomeCode(
  session: Session,
  outcome: 'settled' | 'timeout',
  { rollout: r, unreachable }: Sighting,
  timeoutMs: number,
): number {
  const { stderr } = session.io;
  const id = r.rolloutId;
  if (outcome === 'timeout') {
    const state = unreachable
      ? `${unreachable}; ${id} was last seen ${r.status}`
      : `${id} is still ${r.status}`;
    stderr.write(
      `error: gave up after ${timeoutMs / 1000}s: ${state} with ${r.counts.inProgress} in flight ` +
        `(the rollout goes on; follow it again with \`tenantctl rollout status ${id} --wait\`)\n`,
    );
    return EXIT_CODES.timeout;
  }
  switch (r.status) {
    case 'halted':
      stderr.write(
        `error: ${id} halted: ${r.haltReason ?? `${r.counts.failed} failed`}\n` +
          `hint: fix the cause (see Failures), then \`tenantctl rollout resume ${id}\`, or cancel it\n`,
      );
      return EXIT_CODES.rolloutHalted;
    case 'paused':
      stderr.write(`${id} is paused, nothing in flight: \`tenantctl rollout resume ${id}\` goes on\n`);
      return EXIT_CODES.ok;
    case 'canceled':
      stderr.write(`${id} is canceled: it starts no more tenants\n`);
      return EXIT_CODES.ok;
    default:
      return EXIT_CODES.ok;
  }
}

function followHint(r: RolloutView): string {
  return `${r.rolloutId} is ${r.status}: follow it with \`tenantctl rollout status ${r.rolloutId} --wait\``;
}

function actionHint(r: RolloutView): string | undefined {
  const inFlight = r.counts.inProgress;
  if (r.status === 'paused' && inFlight > 0) {
    return `${r.rolloutId} is paused: no new tenant starts; the ${inFlight} in flight finish their updates`;
  }
  if (r.status === 'running') return followHint(r);
  if (r.status === 'canceled' && inFlight > 0) {
    return `${r.rolloutId} is canceled: the ${inFlight} update(s) in flight run to their end`;
  }
  return undefined;
}
