import { classifyRun, classifyRunStatus } from '../../../lambdas/core/run-status';

describe('classifyRun', () => {
  it.each(['policy_override', 'post_plan_awaiting_decision'])(
    '%s needs a person whatever its actions say',
    (status) => {
      expect(classifyRun({ status })).toBe('needs-attention');
      expect(classifyRun({ status, isConfirmable: false })).toBe('needs-attention');
    },
  );

  it.each(['planned', 'cost_estimated', 'policy_checked'])(
    '%s needs a person only while it is confirmable',
    (status) => {
      expect(classifyRun({ status, isConfirmable: true })).toBe('needs-attention');
      expect(classifyRun({ status, isConfirmable: false })).toBe('running');
      expect(classifyRun({ status })).toBe('running');
    },
  );

  it.each([
    ['applied', 'succeeded'],
    ['planned_and_finished', 'succeeded'],
    ['errored', 'failed'],
    ['discarded', 'failed'],
    ['canceled', 'failed'],
    ['force_canceled', 'failed'],
    ['policy_soft_failed', 'failed'],
    ['pending', 'running'],
    ['applying', 'running'],
    ['apply_queued', 'running'],
  ])('%s is %s', (status, outcome) => {
    expect(classifyRun({ status, isConfirmable: false })).toBe(outcome);
    expect(classifyRunStatus(status)).toBe(outcome);
  });

  it('counts a status TFC adds later as running, even when confirmable', () => {
    expect(classifyRun({ status: 'pre_apply_awaiting_something_new', isConfirmable: true })).toBe('running');
  });
});
