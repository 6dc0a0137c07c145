import { resourcesOfType, synthStack } from './support';

/**
 * A function that runs out of time fails its invocation with its own error (`Sandbox.Timedout`, reported
 * as `Lambda.Unknown` by older runtimes), not with `States.Timeout`: the task's TimeoutSeconds only fires
 * when the function outlives it. Each Lambda task must therefore outlast its function and retry the
 * function's timeout errors, or one slow invocation fails the tenant while its run carries on.
 */
const TIMEOUT_ERRORS = ['Sandbox.Timedout', 'Lambda.Unknown', 'States.Timeout'];
/** Time Step Functions needs beyond the function's own timeout to see the invocation end. */
const MARGIN_SECONDS = 30;

interface TaskState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  /** A Map state's iteration: its tasks count too. */
  ItemProcessor?: { States: Record<string, TaskState> };
}

/** Every state of a definition, those inside Map iterations included. */
function allStates(states: Record<string, TaskState>): [string, TaskState][] {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, TaskState],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor.States) : []),
  ]);
}

const { template } = synthStack({
  tfc: { organization: 'acme', awsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc' },
});
const functions = resourcesOfType(template, 'AWS::Lambda::Function');
const machines = Object.values(resourcesOfType(template, 'AWS::StepFunctions::StateMachine'));

function lambdaTasks(machine: (typeof machines)[number]) {
  const definition = JSON.parse(machine.Properties.DefinitionString as string) as {
    States: Record<string, TaskState>;
  };
  const substitutions = machine.Properties.DefinitionSubstitutions as Record<
    string,
    { 'Fn::GetAtt': [string, string] }
  >;
  return allStates(definition.States)
    .filter(([, s]) => s.Type === 'Task' && /^\$\{\w+\}$/.test(s.Resource ?? ''))
    .map(([name, state]) => {
      const placeholder = /^\$\{(\w+)\}$/.exec(state.Resource ?? '')?.[1] ?? '';
      const functionId = substitutions[placeholder]?.['Fn::GetAtt'][0] ?? '';
      const fn = functions[functionId];
      if (!fn) throw new Error(`${name}: ${placeholder} names no function of the stack`);
      return { name, state, functionTimeout: fn.Properties.Timeout as number };
    });
}

describe('flow task timeouts', () => {
  it('finds the Lambda tasks of every state machine (three flows, the rollout)', () => {
    expect(machines).toHaveLength(4);
    for (const machine of machines) expect(lambdaTasks(machine).length).toBeGreaterThanOrEqual(3);
  });

  it.each(machines.flatMap((m) => lambdaTasks(m).map((t) => [t.name, t] as const)))(
    '%s: TimeoutSeconds outlasts its function, and a timed-out invocation is retried',
    (_name, { state, functionTimeout }) => {
      expect(typeof state.TimeoutSeconds).toBe('number');
      expect(state.TimeoutSeconds).toBeGreaterThanOrEqual(functionTimeout + MARGIN_SECONDS);
      for (const error of TIMEOUT_ERRORS) {
        const retrier = (state.Retry ?? []).find(
          (r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'),
        );
        expect({ error, retried: (retrier?.MaxAttempts ?? 3) > 0 && retrier !== undefined }).toEqual({
          error,
          retried: true,
        });
      }
    },
  );
});
