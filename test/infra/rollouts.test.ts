import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLLOUT_DEFINITION_FILE } from '../../lib/constructs/tenant-rollouts';
import { ROLLOUT_ENV, ROLLOUT_TIMING_ENV } from '../../lambdas/handlers/rollouts/contract';
import { grantsOf, logicalId, resource, synthStack } from './support';

const { stack, template } = synthStack({
  tfc: { organization: 'acme', awsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc' },
});
const cp = stack.controlPlane;
const definitionFile = readFileSync(join(__dirname, '../..', ROLLOUT_DEFINITION_FILE), 'utf8');
const machine = resource(template, 'AWS::StepFunctions::StateMachine', logicalId(cp.rollouts.stateMachine));

interface MapState {
  Type: string;
  ItemsPath: string;
  MaxConcurrencyPath: string;
  ItemProcessor: { ProcessorConfig: { Mode: string; ExecutionType: string } };
}

describe('fleet rollouts in AWS', () => {
  it('runs the rollout definition file unchanged, its tasks served by the step function', () => {
    expect(machine.Properties.DefinitionString).toBe(definitionFile);
    expect(machine.Properties.DefinitionSubstitutions).toEqual({
      RolloutStepFunctionArn: { 'Fn::GetAtt': [logicalId(cp.rollouts.step.function), 'Arn'] },
    });
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
  });

  it('drives the tenants with a Distributed Map bounded by the rollout’s maxConcurrent', () => {
    const definition = JSON.parse(definitionFile) as { States: Record<string, MapState> };
    const map = definition.States.Tenants;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.tenants',
      MaxConcurrencyPath: '$.plan.maxConcurrent',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
  });

  it('lets the machine start, describe and stop only its own child executions', () => {
    const granted = grantsOf(template, cp.rollouts.stateMachine.role);
    expect(granted.actions).toEqual(
      expect.arrayContaining(['lambda:InvokeFunction', 'states:StartExecution', 'states:DescribeExecution']),
    );
    const started = JSON.stringify(granted.resourcesFor('states:StartExecution'));
    expect(started).toContain(':stateMachine:');
    expect(started).not.toContain('*');
    const described = JSON.stringify(granted.resourcesFor('states:DescribeExecution'));
    expect(described).toMatch(/:execution:[^"*]+\/\*/);
    expect(JSON.stringify(granted.resourcesFor('lambda:InvokeFunction'))).toContain(
      logicalId(cp.rollouts.step.function),
    );
  });

  it('gives the start, resume and cancel routes StartExecution on the rollout machine only; reads nothing else', () => {
    const machineId = logicalId(cp.rollouts.stateMachine);
    const starters = Object.entries(cp.api.functions).map(([name, fn]) => {
      const starts = JSON.stringify(grantsOf(template, fn.role).resourcesFor('states:StartExecution'));
      return [name, starts === '[]' ? 'none' : starts.includes(machineId) ? 'rollout machine' : starts];
    });
    expect(Object.fromEntries(starters.filter(([, s]) => s !== 'none'))).toEqual({
      startRollout: 'rollout machine',
      resumeRollout: 'rollout machine',
      cancelRollout: 'rollout machine',
    });
  });

  it('sets the step function’s tables, bus, topic and pacing', () => {
    const env = (
      resource(template, 'AWS::Lambda::Function', logicalId(cp.rollouts.step.function)).Properties
        .Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        ROLLOUT_ENV.table,
        ROLLOUT_ENV.topic,
        'TABLE_NAME',
        'HISTORY_TABLE_NAME',
        'UPDATE_BUS_NAME',
        'TF_MODULE_DIR',
        ...Object.values(ROLLOUT_TIMING_ENV),
      ]),
    );
    expect(env[ROLLOUT_TIMING_ENV.watchSeconds]).toBe('30');
  });

  it('keeps rollouts in their own encrypted table with point-in-time recovery, retained', () => {
    const table = resource(template, 'AWS::DynamoDB::Table', logicalId(cp.tables.rollouts));
    expect(table.Properties).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      DeletionProtectionEnabled: true,
    });
    expect(table.DeletionPolicy).toBe('Retain');
  });
});
