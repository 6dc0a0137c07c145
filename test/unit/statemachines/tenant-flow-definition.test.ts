import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { DEFINITION_PATH, DEFINITION_PLACEHOLDERS } from '../../../lambdas/local/state-machine';
import { classifyRunStatus } from '../../../lambdas/core/run-status';
import { DEFAULT_NOTIFICATION_WAIT_SECONDS } from '../../../lambdas/core/defaults';

const text = readFileSync(DEFINITION_PATH, 'utf8');
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, Record<string, unknown>> };
const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

describe('statemachines/tenant-flow.asl.json', () => {
  it('passes asl-validator', () => {
    // The validator annotates what it is given (QueryLanguage): hand it a copy.
    const result = validator(structuredClone(definition), { checkArn: true, checkPaths: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it("uses placeholders only as whole function references (a Resource, or the callback task's FunctionName)", () => {
    const placeholders = [...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    expect(new Set(placeholders)).toEqual(new Set(DEFINITION_PLACEHOLDERS));
    const functions = tasks.map(([, s]) =>
      s.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken'
        ? (s.Parameters as { FunctionName: string }).FunctionName
        : s.Resource,
    );
    expect(functions.sort()).toEqual(DEFINITION_PLACEHOLDERS.map((p) => `\${${p}}`).sort());
  });

  it('has no branch on the action: flows differ by input only', () => {
    expect(text).not.toMatch(/\$\.flow\.action/);
  });

  it.each(tasks.map(([name, s]) => [name, s] as const))(
    'task %s retries transient errors',
    (_name, state) => {
      const retry = state.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number }>;
      expect(retry.length).toBeGreaterThan(0);
      expect(
        retry.flatMap((r) => r.ErrorEquals).some((e) => e === 'TransientError' || e === 'States.ALL'),
      ).toBe(true);
      // Only a failed tenant is never retried: it is Finalize's answer, not a fault.
      const notRetried = retry.filter((r) => r.MaxAttempts === 0).flatMap((r) => r.ErrorEquals);
      expect(notRetried).toEqual(_name === 'Finalize' ? ['TenantFailed'] : []);
    },
  );

  it.each(tasks.filter(([name]) => name !== 'Finalize').map(([name, s]) => [name, s] as const))(
    'task %s catches everything into Finalize, at $.run.error',
    (_name, state) => {
      expect((state.Catch as unknown[]).at(-1)).toEqual({
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.run.error',
        Next: 'Finalize',
      });
    },
  );

  it('AwaitRun waits for the callback, falls back to polling on its timeout, and never retries the timeout', () => {
    const awaitRun = definition.States.AwaitRun as {
      TimeoutSeconds: number;
      Retry: Array<{ ErrorEquals: string[] }>;
      Catch: unknown[];
      ResultPath: string;
      Next: string;
    };
    expect(awaitRun.TimeoutSeconds).toBe(DEFAULT_NOTIFICATION_WAIT_SECONDS);
    expect(awaitRun.Retry.flatMap((r) => r.ErrorEquals)).not.toContain('States.Timeout');
    expect(awaitRun.Catch[0]).toEqual({
      ErrorEquals: ['States.Timeout'],
      ResultPath: '$.run.timeout',
      Next: 'Wait',
    });
    expect(awaitRun).toMatchObject({ ResultPath: '$.run.end', Next: 'Finalize' });
    expect(definition.States['Started?']).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.run.duplicate', BooleanEquals: true, Next: 'Duplicate' },
        { Not: { Variable: '$.run.outcome', StringEquals: 'running' }, Next: 'Finalize' },
        { Variable: '$.run.awaitSeconds', NumericGreaterThan: 0, Next: 'AwaitRun' },
      ],
      Default: 'Wait',
    });
  });

  it('ends at Finalize: a failed tenant fails the execution with TenantFailed, no Choice after it', () => {
    expect(definition.States.Finalize).toMatchObject({ End: true });
    expect(definition.States.Finalize).not.toHaveProperty('Next');
  });

  it('waits for the time the tasks return, not a constant', () => {
    expect(definition.States.Wait).toEqual({ Type: 'Wait', SecondsPath: '$.run.waitSeconds', Next: 'Check' });
    expect(definition.States.Queued).toEqual({
      Type: 'Wait',
      SecondsPath: '$.admission.waitSeconds',
      Next: 'Admit',
    });
  });

  it('starts with admission: every flow takes a run slot (or waits for one) before Trigger starts a run', () => {
    expect(definition.StartAt).toBe('Admit');
    expect(definition.States.Admit).toMatchObject({ ResultPath: '$.admission', Next: 'Admitted?' });
    expect(definition.States['Admitted?']).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.admission.duplicate', BooleanEquals: true, Next: 'Duplicate' },
        { Variable: '$.admission.admitted', BooleanEquals: true, Next: 'Trigger' },
      ],
      Default: 'Queued',
    });
    // Trigger is reached only through the admitted branch.
    const into = Object.entries(definition.States).filter(([, state]) =>
      JSON.stringify(state).includes('"Trigger"'),
    );
    expect(into.map(([name]) => name)).toEqual(['Admitted?']);
  });
});

describe('classifyRunStatus', () => {
  it.each([
    ['applied', 'succeeded'],
    ['planned_and_finished', 'succeeded'],
    ['errored', 'failed'],
    ['canceled', 'failed'],
    ['force_canceled', 'failed'],
    ['discarded', 'failed'],
    ['policy_soft_failed', 'failed'],
    ['planning', 'running'],
    ['applying', 'running'],
    ['pending', 'running'],
    ['some_status_added_later', 'running'],
  ])('%s → %s', (status, outcome) => {
    expect(classifyRunStatus(status)).toBe(outcome);
  });
});
