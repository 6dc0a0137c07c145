import { ACTIONS, FLOWS, type Action } from '../../../lambdas/core/flows';
import { decide, isInProgress, TENANT_STATUSES, type CurrentState } from '../../../lambdas/core/lifecycle';

/** The lifecycle of DESIGN.md written out by hand, pair by pair, independently of ALLOWED_FROM. */
const EXPECTED: Record<CurrentState, Record<Action, string>> = {
  absent: { create: 'creating', update: 'not-found', delete: 'not-found' },
  creating: { create: 'conflict', update: 'conflict', delete: 'conflict' },
  updating: { create: 'conflict', update: 'conflict', delete: 'conflict' },
  deleting: { create: 'conflict', update: 'conflict', delete: 'conflict' },
  ready: { create: 'conflict', update: 'updating', delete: 'deleting' },
  failed: { create: 'conflict', update: 'updating', delete: 'deleting' },
  deleted: { create: 'creating', update: 'conflict', delete: 'conflict' },
};

const states: CurrentState[] = ['absent', ...TENANT_STATUSES];
const pairs = states.flatMap((s) => ACTIONS.map((a) => [s, a] as const));

describe('lifecycle transition table', () => {
  it('covers every status × request pair', () => {
    expect(pairs).toHaveLength(7 * 3);
  });

  it.each(pairs)('from %s, %s → as specified', (state, action) => {
    const outcome = decide(state, action);
    const expected = EXPECTED[state][action];
    expect(outcome.allowed ? outcome.next : outcome.reason).toBe(expected);
  });

  it('moves each request to its flow in-progress status', () => {
    for (const action of ACTIONS) {
      expect(isInProgress(FLOWS[action].inProgressStatus)).toBe(true);
    }
    expect(isInProgress('ready')).toBe(false);
  });
});
