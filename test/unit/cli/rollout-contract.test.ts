import type * as z from 'zod';
import * as api from '../../../lambdas/core/rollout';
import * as cli from '../../../lambdas/cli/rollout';
import { counts, rolloutView } from './rollout-api';

/**
 * tenantctl talks to the rollout API over HTTP and keeps its own copy of the answer types; these checks
 * fail as soon as the API's contract and the CLI's copy disagree.
 */
describe("the CLI's copy of the rollout contract", () => {
  it('reads every answer the API can send, and sends only bodies the API accepts (types)', () => {
    const answer = rolloutView() as api.RolloutView;
    const read: cli.RolloutView = answer;
    const page: cli.RolloutPage = { items: [answer] } satisfies z.infer<typeof api.RolloutPageSchema>;
    const body: cli.StartRolloutBody = {};
    const sent: z.input<typeof api.CreateRolloutSchema> = body;

    expect([read, page, sent]).toHaveLength(3);
  });

  it('has the same statuses, actions, selectable statuses and rollout id pattern', () => {
    expect(cli.ROLLOUT_STATUSES).toEqual(api.ROLLOUT_STATUSES);
    expect(cli.ROLLOUT_ACTIONS).toEqual(Object.keys(api.ROLLOUT_COMMANDS));
    expect(cli.SELECTABLE_STATUSES).toEqual(api.SELECTABLE_STATUSES);
    expect(cli.ROLLOUT_ID_PATTERN.source).toBe(api.ROLLOUT_ID_PATTERN.source);
  });

  it("settles exactly when the API's engine has nothing left to do or has stopped and drained", () => {
    for (const status of api.ROLLOUT_STATUSES) {
      for (const inProgress of [0, 2]) {
        const view = rolloutView({ status, counts: counts(4, { succeeded: 2 - inProgress, inProgress }) });
        const active = api.ACTIVE_ROLLOUT_STATUSES.includes(status);
        expect(cli.isSettled(view)).toBe(!active || (status !== 'running' && inProgress === 0));
      }
    }
  });

  it('the test API answers as the API does: its rollouts pass the strict schema', () => {
    const views = [
      rolloutView(),
      rolloutView({
        status: 'halted',
        selector: { tier: 'large', tenantCodes: ['acme'], statuses: ['ready', 'failed'] },
        counts: counts(30, { succeeded: 3, failed: 1, skipped: 2 }),
        failures: [{ tenantCode: 'acme', reason: 'RunFailed: boom', at: '2030-01-01T10:01:00.000Z' }],
        skipped: [{ tenantCode: 'beta', reason: 'deleted', at: '2030-01-01T10:01:00.000Z' }],
        haltReason: 'tenant acme failed',
      }),
    ];

    for (const view of views) expect(api.RolloutViewSchema.parse(view)).toEqual(view);
  });
});
