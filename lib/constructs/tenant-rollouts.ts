import { readFileSync } from 'node:fs';
import { ArnFormat, Duration, Names, Stack } from 'aws-cdk-lib';
import type { TableBase } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROLLOUT_TABLE_ACTIONS, TENANT_TABLE_ACTIONS } from '../../lambdas/core/table-access';
import { DEFAULT_ROLLOUT_TIMINGS } from '../../lambdas/core/rollout';
import { BUS_ENV, moduleEnvironment } from '../../lambdas/handlers/contract';
import {
  ROLLOUT_DEFINITION_FILE,
  ROLLOUT_ENV,
  ROLLOUT_SUBSTITUTIONS,
  ROLLOUT_TIMING_ENV,
} from '../../lambdas/handlers/rollouts/contract';
import { acknowledge, wildcardResourceFinding } from '../nag';
import { projectPath } from '../paths';
import { ControlPlaneFunction, TERRAFORM_MODULE_BUNDLE } from './control-plane-function';

/** The rollout definition and its placeholder (`lambdas/handlers/rollouts/contract.ts`). */
export { ROLLOUT_DEFINITION_FILE, ROLLOUT_SUBSTITUTIONS };

/** How a rollout paces itself. */
export interface RolloutOptions {
  /**
   * Wait between two looks at a tenant whose update runs.
   * @default Duration.seconds(30)
   */
  readonly watchInterval?: Duration;
  /**
   * Wait before a tenant busy with another request (or a rollout with every place taken) is asked again.
   * @default Duration.seconds(60)
   */
  readonly busyInterval?: Duration;
  /**
   * Looks at a tenant busy with another request before the rollout skips it.
   * @default 10
   */
  readonly maxBusyAttempts?: number;
}

export interface TenantRolloutsProps extends RolloutOptions {
  /** The tenant table: each tenant's update transition. */
  readonly table: TableBase;
  /** Tenant history: the updates append to it. */
  readonly historyTable: TableBase;
  readonly historyRetentionDays: number;
  /** The rollouts table. */
  readonly rolloutsTable: TableBase;
  /** The update bus: a rollout starts each tenant's normal update flow through it. */
  readonly updateBus: IEventBus;
  /** Where RolloutHalted and RolloutCompleted are published. */
  readonly lifecycleTopic: ITopic;
  /** Label of the module version, as the flows' trigger is given it. */
  readonly moduleVersionLabel?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * Fleet rollouts in AWS: one state machine (the same ASL file the local control plane runs) whose
 * Distributed Map gives each tenant its own child execution, at most `maxConcurrent` at once, and one step
 * function serving all its tasks (they need the same permissions).
 */
export class TenantRollouts extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly step: ControlPlaneFunction;

  public constructor(scope: Construct, id: string, props: TenantRolloutsProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const definition = readFileSync(projectPath(ROLLOUT_DEFINITION_FILE), 'utf8');
    const placeholders = [...new Set([...definition.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))];
    if (JSON.stringify(placeholders) !== JSON.stringify([...ROLLOUT_SUBSTITUTIONS])) {
      throw new Error(
        `${this.node.path}: ${ROLLOUT_DEFINITION_FILE} has placeholders [${placeholders.join(', ')}], expected [${ROLLOUT_SUBSTITUTIONS.join(', ')}]`,
      );
    }
    const seconds = (d: Duration | undefined, fallback: number) => String(d?.toSeconds() ?? fallback);

    this.step = new ControlPlaneFunction(this, 'Step', {
      entry: 'lambdas/handlers/rollouts/step.ts',
      description:
        "Fleet rollouts: plans the waves, starts each tenant's update flow, watches it, ends the rollout",
      // 30 s below the definition's TimeoutSeconds (60) on every task, so a retry never overlaps a live call.
      timeout: Duration.seconds(30),
      logRetention,
      environment: {
        ...moduleEnvironment(props.moduleVersionLabel),
        [ROLLOUT_TIMING_ENV.watchSeconds]: seconds(props.watchInterval, DEFAULT_ROLLOUT_TIMINGS.watchSeconds),
        [ROLLOUT_TIMING_ENV.busySeconds]: seconds(props.busyInterval, DEFAULT_ROLLOUT_TIMINGS.busySeconds),
        [ROLLOUT_TIMING_ENV.maxBusyAttempts]: String(
          props.maxBusyAttempts ?? DEFAULT_ROLLOUT_TIMINGS.maxBusyAttempts,
        ),
      },
      bundledDirectories: [TERRAFORM_MODULE_BUNDLE],
    })
      .bindTable(props.rolloutsTable, {
        actions: ROLLOUT_TABLE_ACTIONS.rolloutStep,
        envVar: ROLLOUT_ENV.table,
      })
      .bindTable(props.table, { actions: TENANT_TABLE_ACTIONS.rolloutStep })
      .bindHistory(props.historyTable, props.historyRetentionDays)
      .bindEventBus(props.updateBus, BUS_ENV.update)
      .bindTopic(props.lifecycleTopic, ROLLOUT_ENV.topic);

    // A fixed name, so that the machine's role can name the machine's own ARN and its child executions
    // (a Distributed Map starts them) without a reference cycle.
    const stateMachineName = Names.uniqueResourceName(this, { maxLength: 80, separator: '-' });
    const stack = Stack.of(this);
    const arn = (resource: 'stateMachine' | 'execution', resourceName: string) =>
      stack.formatArn({
        service: 'states',
        resource,
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: { RolloutStepFunctionArn: this.step.function.functionArn },
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'Logs', { retention: logRetention }),
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    const executions = arn('execution', `${stateMachineName}/*`);
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.step.function.functionArn],
      }),
    );
    // The Distributed Map runs each tenant as a child execution of this same machine.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [arn('stateMachine', stateMachineName)],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [executions],
      }),
    );
    acknowledge(
      this.stateMachine.role,
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing (xray:PutTraceSegments, GetSamplingRules) support no resource-level permissions.',
      },
      {
        id: wildcardResourceFinding(this.stateMachine, executions),
        reason:
          "The Distributed Map describes and stops its child executions, whose names Step Functions chooses: the grant covers this state machine's executions only.",
      },
    );
  }
}
