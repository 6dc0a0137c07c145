import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { ACTIONS } from '../../lambdas/core/flows';
import { FLOW_DEFINITION_FILE, FLOW_SUBSTITUTIONS, TenantControlPlane } from '../../lib';
import {
  BASE_PROPS,
  arnOf,
  grantsOf,
  logicalId,
  ref,
  resource,
  resourcesOfType,
  synthStack,
  testApp,
} from './support';

const { stack, template } = synthStack({
  tfc: { organization: 'acme', awsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc' },
});
const cp = stack.controlPlane;
const machines = ACTIONS.map((action) =>
  resource(template, 'AWS::StepFunctions::StateMachine', logicalId(cp.flows.stateMachines[action])),
);
const definitionFile = readFileSync(join(__dirname, '../..', FLOW_DEFINITION_FILE), 'utf8');

describe('tenant flows', () => {
  it('builds the three state machines from the one definition file, unchanged', () => {
    // The three flows, and the rollout machine (test/infra/rollouts.test.ts).
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 4);
    for (const machine of machines) {
      expect(machine.Properties.DefinitionString).toBe(definitionFile);
    }
    expect(new Set(machines.map((m) => JSON.stringify(m.Properties.DefinitionString))).size).toBe(1);
  });

  it('substitutes the same five functions, the definition’s only placeholders, into all three', () => {
    const placeholders = [...new Set([...definitionFile.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))].sort();
    expect(placeholders).toEqual([...FLOW_SUBSTITUTIONS].sort());
    for (const machine of machines) {
      expect(machine.Properties.DefinitionSubstitutions).toEqual({
        AdmitFunctionArn: arnOf(cp.flows.admit.function),
        TriggerFunctionArn: arnOf(cp.flows.trigger.function),
        CheckFunctionArn: arnOf(cp.flows.check.function),
        AwaitFunctionArn: arnOf(cp.flows.awaitRun.function),
        FinalizeFunctionArn: arnOf(cp.flows.finalize.function),
      });
    }
  });

  it('logs ALL events without execution data to a log group with retention, and traces', () => {
    for (const machine of machines) {
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      const logging = machine.Properties.LoggingConfiguration as {
        Level: string;
        IncludeExecutionData: boolean;
        Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[];
      };
      expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
      const logGroupId = logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] ?? '';
      expect(resource(template, 'AWS::Logs::LogGroup', logGroupId).Properties.RetentionInDays).toBe(30);
    }
  });

  it('bounds every execution by the definition’s timeout', () => {
    const definition = JSON.parse(definitionFile) as { TimeoutSeconds?: number };
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
    // The default polling (120 s × 90) fits inside it...
    expect(120 * 90).toBeLessThan(definition.TimeoutSeconds ?? 0);
    // ...and a configuration that would not is refused at synthesis.
    const tooLong = () =>
      new TenantControlPlane(new Stack(testApp(), 'TooLong'), 'ControlPlane', {
        ...BASE_PROPS,
        flows: { pollInterval: Duration.hours(1), pollBudget: 48 },
      });
    expect(tooLong).toThrow(/must be shorter than the flow timeout/);
  });

  it('refuses Terraform Cloud limits out of bounds at synthesis, naming the limit', () => {
    const withLimits = (tfcLimits: object) => () =>
      new TenantControlPlane(new Stack(testApp(), 'Limits'), 'ControlPlane', {
        ...BASE_PROPS,
        flows: { tfcLimits },
      });
    expect(withLimits({ maxConcurrentRuns: 0 })).toThrow(
      /limits\.maxConcurrentRuns must be an integer from 1 to 1000, got 0/,
    );
    expect(withLimits({ requestsPerSecond: 1.5 })).toThrow(
      /limits\.requestsPerSecond must be an integer from 2/,
    );
    expect(withLimits({ runsListPerMinute: 10_000 })).toThrow(/limits\.runsListPerMinute must be an integer/);
    expect(withLimits({ admissionWait: Duration.hours(1) })).toThrow(
      /limits\.admissionWait \(seconds\) must be/,
    );
    expect(withLimits({ maxConcurrentRuns: 3, requestsPerSecond: 20 })).not.toThrow();
  });

  it('lets each state machine role invoke only the five flow functions', () => {
    for (const action of ACTIONS) {
      const granted = grantsOf(template, cp.flows.stateMachines[action].role);
      expect(granted.actions.filter((a) => a.startsWith('lambda:'))).toEqual(['lambda:InvokeFunction']);
      expect(granted.resourcesFor('lambda:InvokeFunction')).toEqual([
        arnOf(cp.flows.admit.function),
        arnOf(cp.flows.trigger.function),
        arnOf(cp.flows.check.function),
        arnOf(cp.flows.awaitRun.function),
        arnOf(cp.flows.finalize.function),
      ]);
      // Nothing else but log delivery and X-Ray.
      expect(granted.actions.filter((a) => !/^(logs|xray|lambda):/.test(a))).toEqual([]);
    }
  });

  it('lets only AwaitRun complete a waiting task (states:SendTaskSuccess), on the three flows only', () => {
    const granted = grantsOf(template, cp.flows.awaitRun.role);
    expect(granted.resourcesFor('states:SendTaskSuccess')).toEqual(
      ACTIONS.map((action) => ({ Ref: logicalId(cp.flows.stateMachines[action]) })),
    );
    expect(granted.actions.filter((a) => a.startsWith('states:'))).toEqual(['states:SendTaskSuccess']);
    for (const step of [cp.flows.admit, cp.flows.trigger, cp.flows.check, cp.flows.finalize])
      expect(grantsOf(template, step.role).actions.filter((a) => a.startsWith('states:'))).toEqual([]);
  });

  it('configures the steps alike (TFC, token secret, polling); the module for trigger, the topic for finalize', () => {
    const envOf = (fn: typeof cp.flows.trigger) =>
      resource(template, 'AWS::Lambda::Function', logicalId(fn.function)).Properties.Environment as {
        Variables: Record<string, unknown>;
      };
    const common = {
      TABLE_NAME: ref(cp.tables.tenants),
      TFC_TOKEN_SECRET_ARN: ref(cp.tfcToken.secret),
      TFC_ADDRESS: 'https://app.terraform.io',
      TFC_ORGANIZATION: 'acme',
      ENVIRONMENT_NAME: 'test',
      POLL_INTERVAL_SECONDS: '120',
      POLL_BUDGET: '90',
      ON_RUN_NEEDS_ATTENTION: 'discard',
    };
    expect(envOf(cp.flows.trigger).Variables).toMatchObject({
      ...common,
      TF_MODULE_DIR: './terraform-module',
      TFC_AWS_RUN_ROLE_ARN: 'arn:aws:iam::123456789012:role/tfc',
    });
    expect(envOf(cp.flows.check).Variables).toMatchObject(common);
    expect(envOf(cp.flows.check).Variables).not.toHaveProperty('TOPIC_ARN');
    expect(envOf(cp.flows.finalize).Variables).toMatchObject({
      ...common,
      TOPIC_ARN: ref(cp.lifecycleTopic.topic),
    });

    const plain = synthStack();
    const trigger = plain.stack.controlPlane.flows.trigger.function;
    const variables = (
      resource(plain.template, 'AWS::Lambda::Function', logicalId(trigger)).Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(variables).not.toHaveProperty('TFC_AWS_RUN_ROLE_ARN');
  });

  it('keeps function timeouts below their Task timeouts, so a retried task never overlaps a live one', () => {
    const definition = JSON.parse(definitionFile) as { States: Record<string, { TimeoutSeconds?: number }> };
    const timeoutOf = (fn: typeof cp.flows.trigger) =>
      resource(template, 'AWS::Lambda::Function', logicalId(fn.function)).Properties.Timeout as number;
    expect(timeoutOf(cp.flows.admit)).toBeLessThan(definition.States.Admit?.TimeoutSeconds ?? 0);
    expect(timeoutOf(cp.flows.trigger)).toBeLessThan(definition.States.Trigger?.TimeoutSeconds ?? 0);
    expect(timeoutOf(cp.flows.check)).toBeLessThan(definition.States.Check?.TimeoutSeconds ?? 0);
    expect(timeoutOf(cp.flows.awaitRun)).toBeLessThan(definition.States.AwaitRun?.TimeoutSeconds ?? 0);
    expect(timeoutOf(cp.flows.finalize)).toBeLessThan(definition.States.Finalize?.TimeoutSeconds ?? 0);
    expect(Object.keys(resourcesOfType(template, 'AWS::Lambda::Function'))).toHaveLength(22);
  });
});
