import {
  DEFAULT_RUN_NEEDS_ATTENTION_ACTION,
  type RunNeedsAttentionAction,
} from '../../lambdas/core/run-status';
import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import type { TableBase } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { COORDINATION_TABLE_ACTIONS, TENANT_TABLE_ACTIONS } from '../../lambdas/core/table-access';
import { ACTIONS, type Action } from '../../lambdas/core/flows';
import { checkLimit, TFC_LIMITS } from '../../lambdas/core/tfc-limits';
import {
  DEFAULT_POLL_BUDGET,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_TFC_ADDRESS,
} from '../../lambdas/core/defaults';
import { moduleEnvironment, TABLE_ENV, tfcLocationEnvironment } from '../../lambdas/handlers/contract';
import { FLOW_DEFINITION_FILE, FLOW_ENV, FLOW_SUBSTITUTIONS } from '../../lambdas/handlers/flow/contract';
import { acknowledge } from '../nag';
import { projectPath } from '../paths';
import {
  ControlPlaneFunction,
  type ControlPlaneFunctionProps,
  TERRAFORM_MODULE_BUNDLE,
} from './control-plane-function';

/** The shared flow definition and its placeholders (`lambdas/handlers/flow/contract.ts`). */
export { FLOW_DEFINITION_FILE, FLOW_SUBSTITUTIONS };

/** What each function does on the coordination table (`lambdas/core/table-access.ts`). */
export { COORDINATION_ACTIONS } from '../../lambdas/core/table-access';

const FLOW_TABLE_USERS = {
  Trigger: 'trigger',
  Check: 'check',
  AwaitRun: 'awaitRun',
  Finalize: 'finalize',
} as const;

/** The Terraform Cloud / Terraform Enterprise organization the flows drive. */
export interface TfcSettings {
  /**
   * Base address of TFC or a Terraform Enterprise host.
   * @default 'https://app.terraform.io'
   */
  readonly address?: string;
  /** Organization owning the tenants' workspaces. */
  readonly organization: string;
  /**
   * Role TFC runs assume in AWS (dynamic provider credentials), passed to the trigger.
   * @default - none: the workspaces get their AWS credentials some other way
   */
  readonly awsRunRoleArn?: string;
  /**
   * What the flow does with a run that waits for a person (policy override, confirmation): `discard` it
   * so the workspace's queue moves on, or `leave` it for the person. Either way the tenant fails with
   * `RunNeedsAttention`.
   * @default 'discard'
   */
  readonly onRunNeedsAttention?: RunNeedsAttentionAction;
  /**
   * TFC project holding the environment's workspaces, created when missing.
   * @default `tenant-control-plane-<environmentName>`
   */
  readonly project?: string;
  /**
   * Label in front of the module's content hash in each module version (`<label>+<hash>`).
   * @default - the content hash alone
   */
  readonly moduleVersionLabel?: string;
}

/** Terraform Cloud's limits the flows stay within (bounds and defaults: lambdas/core/tfc-limits.ts). */
export interface TfcLimits {
  /**
   * Runs in flight at once for the organization (admission control), all flows together.
   * @default 10
   */
  readonly maxConcurrentRuns?: number;
  /**
   * Requests per second of the TFC user, shared by every flow function.
   * @default 30
   */
  readonly requestsPerSecond?: number;
  /**
   * Runs-list requests per minute of the TFC user.
   * @default 30
   */
  readonly runsListPerMinute?: number;
  /**
   * Wait of a queued flow between two admission attempts.
   * @default Duration.seconds(20)
   */
  readonly admissionWait?: Duration;
}

export interface TenantFlowsProps {
  /** The tenant table, read and written by every step. */
  readonly table: TableBase;
  /** The coordination table: the request budget and the admission queue. */
  readonly coordinationTable: TableBase;
  /**
   * Terraform Cloud's limits.
   * @default - the defaults of each limit
   */
  readonly limits?: TfcLimits;
  /** The secret holding the TFC API token. */
  readonly tokenSecret: ISecret;
  /** Where finalize publishes lifecycle events. */
  readonly lifecycleTopic: ITopic;
  /** Terraform Cloud settings. */
  readonly tfc: TfcSettings;
  /** Name of the deployment environment (`dev`, `prod`), passed to Terraform as a variable. */
  readonly environmentName: string;
  /**
   * Wait between two run checks.
   * @default Duration.seconds(120)
   */
  readonly pollInterval?: Duration;
  /**
   * Checks per run before the flow gives up and finalizes it as failed.
   * @default 90
   */
  readonly pollBudget?: number;
  /**
   * Retention of the functions' and state machines' log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The three flows. Their state machines share one definition file and one set of functions (trigger,
 * check, finalize, and admit before them); they differ only by the constants each bus rule injects into the execution input.
 */
export class TenantFlows extends Construct {
  public readonly stateMachines: Readonly<Record<Action, StateMachine>>;
  public readonly admit: ControlPlaneFunction;
  public readonly trigger: ControlPlaneFunction;
  public readonly check: ControlPlaneFunction;
  /** The AwaitRun state's function: stores the task token with the run, reads the run once. */
  public readonly awaitRun: ControlPlaneFunction;
  public readonly finalize: ControlPlaneFunction;

  public constructor(scope: Construct, id: string, props: TenantFlowsProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const pollIntervalSeconds = (
      props.pollInterval ?? Duration.seconds(DEFAULT_POLL_INTERVAL_SECONDS)
    ).toSeconds();
    const pollBudget = props.pollBudget ?? DEFAULT_POLL_BUDGET;
    const definition = readFileSync(projectPath(FLOW_DEFINITION_FILE), 'utf8');
    checkDefinition(this, definition, pollIntervalSeconds * pollBudget);

    // One flow configuration for the three steps: trigger sets the first wait and the budget, check the
    // next waits, finalize names both in the reason of a flow that ran out of polls.
    const limits = props.limits ?? {};
    const limit = (name: keyof typeof TFC_LIMITS, value: number | undefined): string => {
      const setting = TFC_LIMITS[name];
      const key = name === 'queuedWaitSeconds' ? 'limits.admissionWait (seconds)' : `limits.${name}`;
      return String(checkLimit(setting, `${this.node.path}: ${key}`, value ?? setting.default));
    };
    const admissionEnvironment = {
      [TFC_LIMITS.maxConcurrentRuns.env]: limit('maxConcurrentRuns', limits.maxConcurrentRuns),
      [TFC_LIMITS.queuedWaitSeconds.env]: limit('queuedWaitSeconds', limits.admissionWait?.toSeconds()),
    };
    const flowEnvironment = {
      ...admissionEnvironment,
      [TFC_LIMITS.requestsPerSecond.env]: limit('requestsPerSecond', limits.requestsPerSecond),
      [TFC_LIMITS.runsListPerMinute.env]: limit('runsListPerMinute', limits.runsListPerMinute),
      ...tfcLocationEnvironment({
        address: props.tfc.address ?? DEFAULT_TFC_ADDRESS,
        organization: props.tfc.organization,
        environment: props.environmentName,
      }),
      [FLOW_ENV.pollIntervalSeconds]: String(pollIntervalSeconds),
      [FLOW_ENV.pollBudget]: String(pollBudget),
      [FLOW_ENV.onRunNeedsAttention]: props.tfc.onRunNeedsAttention ?? DEFAULT_RUN_NEEDS_ATTENTION_ACTION,
    };
    const step = (
      stepId: keyof typeof FLOW_TABLE_USERS,
      stepProps: Omit<ControlPlaneFunctionProps, 'logRetention'>,
    ) =>
      new ControlPlaneFunction(this, stepId, {
        ...stepProps,
        logRetention,
        environment: { ...flowEnvironment, ...stepProps.environment },
      })
        .bindTable(props.table, { actions: TENANT_TABLE_ACTIONS[FLOW_TABLE_USERS[stepId]] })
        .bindSecret(props.tokenSecret, FLOW_ENV.tokenSecret);
    const coordination = TABLE_ENV.coordination;

    // Claims the flow and queues it; it never calls TFC, so it gets neither the token nor the budget.
    this.admit = new ControlPlaneFunction(this, 'Admit', {
      entry: 'lambdas/handlers/flow/admit.ts',
      description: 'Admission control: gives the flow a run slot or a place in the queue',
      timeout: Duration.seconds(30),
      logRetention,
      environment: admissionEnvironment,
    })
      .bindTable(props.table, { actions: TENANT_TABLE_ACTIONS.admit })
      .bindTableActions(props.coordinationTable, coordination, COORDINATION_TABLE_ACTIONS.admit);

    // Function timeouts stay below the Task's TimeoutSeconds in the definition, so a retried task never
    // overlaps an invocation that is still running; a function that times out fails with its own error
    // (Sandbox.Timedout / Lambda.Unknown), which the tasks' Retry lists (test/infra/task-timeouts.test.ts).
    this.trigger = step('Trigger', {
      entry: 'lambdas/handlers/flow/trigger.ts',
      description: 'Claims the flow, prepares the TFC workspace and starts the Terraform run',
      timeout: Duration.seconds(240),
      environment: {
        ...moduleEnvironment(props.tfc.moduleVersionLabel),
        ...(props.tfc.project ? { [FLOW_ENV.project]: props.tfc.project } : {}),
        ...(props.tfc.awsRunRoleArn ? { [FLOW_ENV.awsRunRoleArn]: props.tfc.awsRunRoleArn } : {}),
      },
      bundledDirectories: [TERRAFORM_MODULE_BUNDLE],
    }).bindTableActions(props.coordinationTable, coordination, COORDINATION_TABLE_ACTIONS.trigger);
    this.check = step('Check', {
      entry: 'lambdas/handlers/flow/check.ts',
      description: 'Reads the Terraform run, classifies it and frees its run slot once it is over',
      timeout: Duration.seconds(90),
    }).bindTableActions(props.coordinationTable, coordination, COORDINATION_TABLE_ACTIONS.check);
    this.awaitRun = step('AwaitRun', {
      entry: 'lambdas/handlers/flow/await-run.ts',
      description: "Stores the flow's task token with its run and reads the run once (run notifications)",
      timeout: Duration.seconds(90),
    }).bindTableActions(props.coordinationTable, coordination, COORDINATION_TABLE_ACTIONS.awaitRun);
    this.finalize = step('Finalize', {
      entry: 'lambdas/handlers/flow/finalize.ts',
      description: 'Records the outcome of the flow, frees its run slot and publishes the lifecycle event',
      timeout: Duration.seconds(240),
    })
      .bindTopic(props.lifecycleTopic)
      .bindTableActions(props.coordinationTable, coordination, COORDINATION_TABLE_ACTIONS.finalize);

    const substitutions: Record<(typeof FLOW_SUBSTITUTIONS)[number], string> = {
      AdmitFunctionArn: this.admit.function.functionArn,
      TriggerFunctionArn: this.trigger.function.functionArn,
      CheckFunctionArn: this.check.function.functionArn,
      AwaitFunctionArn: this.awaitRun.function.functionArn,
      FinalizeFunctionArn: this.finalize.function.functionArn,
    };

    const machines = {} as Record<Action, StateMachine>;
    for (const action of ACTIONS) {
      const name = `${action[0]?.toUpperCase()}${action.slice(1)}`;
      const machine = new StateMachine(this, `${name}Flow`, {
        stateMachineType: StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromString(definition),
        definitionSubstitutions: substitutions,
        tracingEnabled: true,
        logs: {
          destination: new LogGroup(this, `${name}FlowLogs`, { retention: logRetention }),
          level: LogLevel.ALL,
          // Execution data holds tenant variables, run details and Terraform outputs: the execution
          // history keeps it for debugging, behind states:GetExecutionHistory, not the log group.
          includeExecutionData: false,
        },
      });
      // The definition string hides the tasks from CDK: grant exactly the five functions, unqualified.
      machine.addToRolePolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: Object.values(substitutions),
        }),
      );
      acknowledge(machine.role, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing (xray:PutTraceSegments, GetSamplingRules) support no resource-level permissions; lambda:InvokeFunction names the five flow functions.',
      });
      machines[action] = machine;
    }
    this.stateMachines = machines;
    // AwaitRun's one read may find the run already over: it then completes its own state's task. A policy
    // of its own, not the role's default one, which the function depends on: the state machines name the
    // function, so the function's role cannot name them without a cycle.
    new Policy(this, 'AwaitRunTaskResponse', {
      roles: [this.awaitRun.role],
      statements: [
        new PolicyStatement({
          actions: ['states:SendTaskSuccess'],
          resources: ACTIONS.map((action) => machines[action].stateMachineArn),
        }),
      ],
    });
  }
}

/**
 * Fails synthesis when the definition and this construct disagree: a placeholder without a substitution
 * (or the reverse) would deploy a state machine that cannot run, and a poll budget longer than the
 * definition's timeout would end flows as timed out instead of finalized.
 */
function checkDefinition(scope: Construct, definition: string, pollSeconds: number): void {
  const placeholders = [...new Set([...definition.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))].sort();
  const expected = [...FLOW_SUBSTITUTIONS].sort();
  if (JSON.stringify(placeholders) !== JSON.stringify(expected)) {
    throw new Error(
      `${scope.node.path}: ${FLOW_DEFINITION_FILE} has placeholders [${placeholders.join(', ')}], expected [${expected.join(', ')}]`,
    );
  }
  const timeout = (JSON.parse(definition) as { TimeoutSeconds?: unknown }).TimeoutSeconds;
  if (typeof timeout !== 'number') {
    throw new Error(`${scope.node.path}: ${FLOW_DEFINITION_FILE} must set a top-level TimeoutSeconds`);
  }
  if (pollSeconds >= timeout) {
    throw new Error(
      `${scope.node.path}: poll interval × poll budget (${pollSeconds} s) must be shorter than the flow timeout (${timeout} s)`,
    );
  }
}
