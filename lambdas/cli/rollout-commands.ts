import type { Command, WaitOptions } from './args';
import { EXIT_CODES } from './errors';
import { toJson } from './render';
import { isSettled, type RolloutPage, type RolloutView } from './rollout';
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
  const { outcome, value: rollout } = await pollUntil({
    ...wait,
    first,
    poll: () => session.client.rollout(first.rolloutId),
    settled: isSettled,
    clock: session.clock,
    startedAt,
    progress: createRolloutProgress({
      write: (text) => session.io.stderr.write(text),
      now: () => session.clock.now(),
      startedAt,
      isTTY: session.io.isTTY,
      ...(session.io.columns ? { columns: session.io.columns } : {}),
      ...(session.clock.every ? { every: session.clock.every.bind(session.clock) } : {}),
    }),
  });
  show(session, rollout);
  return outcomeCode(session, outcome, rollout, wait.timeoutMs);
}

/**
 * completed → 0; halted → 1 with the reason; paused and canceled → 0, saying so (someone asked for
 * them); `--wait` out of time → 5.
 */
function outcomeCode(
  session: Session,
  outcome: 'settled' | 'timeout',
  r: RolloutView,
  timeoutMs: number,
): number {
  const { stderr } = session.io;
  const id = r.rolloutId;
  if (outcome === 'timeout') {
    stderr.write(
      `error: gave up after ${timeoutMs / 1000}s: ${id} is still ${r.status} with ${r.counts.inProgress} in flight ` +
        `(the rollout goes on; follow it again with \`tenantctl rollout status ${id} --wait\`)\n`,
    );
    return EXIT_CODES.timeout;
  }
  switch (r.status) {
    case 'halted':
      stderr.write(
        `error: ${id} halted: ${r.haltReason ?? 'no reason recorded'} (${r.counts.failed} failed)\n` +
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
