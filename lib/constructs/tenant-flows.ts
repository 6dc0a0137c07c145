import {
  DEFAULT_RUN_NEEDS_ATTENTION_ACTION,
  type RunNeedsAttentionAction,
} from '../../lambdas/core/run-status';
import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import type { TableBase } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ACTIONS, type Action } from '../../lambdas/core/flows';
import { acknowledge } from '../nag';
import { projectPath } from '../paths';
import {
  type BundledDirectory,
  ControlPlaneFunction,
  type ControlPlaneFunctionProps,
} from './control-plane-function';

/** The one flow definition shared by the create, update and delete state machines. */
export const FLOW_DEFINITION_FILE = 'statemachines/tenant-flow.asl.json';

/** Where the three state machines are wired to the Lambda functions: the definition's only placeholders. */
export const FLOW_SUBSTITUTIONS = ['TriggerFunctionArn', 'CheckFunctionArn', 'FinalizeFunctionArn'] as const;

/**
 * The Terraform module the trigger uploads to TFC ships inside its bundle, at `TF_MODULE_DIR`; the
 * module's `terraform test` files stay behind.
 */
export const TERRAFORM_MODULE_BUNDLE: BundledDirectory = {
  source: 'terraform-module/aws',
  target: 'terraform-module',
  exclude: ['tests'],
};

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

export interface TenantFlowsProps {
  /** The tenant table, read and written by every step. */
  readonly table: TableBase;
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
 * check, finalize); they differ only by the constants each bus rule injects into the execution input.
 */
export class TenantFlows extends Construct {
  public readonly stateMachines: Readonly<Record<Action, StateMachine>>;
  public readonly trigger: ControlPlaneFunction;
  public readonly check: ControlPlaneFunction;
  public readonly finalize: ControlPlaneFunction;

  public constructor(scope: Construct, id: string, props: TenantFlowsProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const pollIntervalSeconds = (props.pollInterval ?? Duration.seconds(120)).toSeconds();
    const pollBudget = props.pollBudget ?? 90;
    const definition = readFileSync(projectPath(FLOW_DEFINITION_FILE), 'utf8');
    checkDefinition(this, definition, pollIntervalSeconds * pollBudget);

    // One flow configuration for the three steps: trigger sets the first wait and the budget, check the
    // next waits, finalize names both in the reason of a flow that ran out of polls.
    const flowEnvironment = {
      TFC_ADDRESS: props.tfc.address ?? 'https://app.terraform.io',
      TFC_ORGANIZATION: props.tfc.organization,
      ENVIRONMENT_NAME: props.environmentName,
      POLL_INTERVAL_SECONDS: String(pollIntervalSeconds),
      POLL_BUDGET: String(pollBudget),
      ON_RUN_NEEDS_ATTENTION: props.tfc.onRunNeedsAttention ?? DEFAULT_RUN_NEEDS_ATTENTION_ACTION,
    };
    const step = (stepId: string, stepProps: Omit<ControlPlaneFunctionProps, 'logRetention'>) =>
      new ControlPlaneFunction(this, stepId, {
        ...stepProps,
        logRetention,
        environment: { ...flowEnvironment, ...stepProps.environment },
      })
        .bindTable(props.table, { access: 'readWrite' })
        .bindSecret(props.tokenSecret, 'TFC_TOKEN_SECRET_ARN');

    // Function timeouts stay below the Task's TimeoutSeconds in the definition, so a retried task never
    // overlaps an invocation that is still running.
    this.trigger = step('Trigger', {
      entry: 'lambdas/handlers/flow/trigger.ts',
      description: 'Claims the flow, prepares the TFC workspace and starts the Terraform run',
      timeout: Duration.seconds(240),
      environment: {
        TF_MODULE_DIR: './terraform-module',
        ...(props.tfc.project ? { TFC_PROJECT: props.tfc.project } : {}),
        ...(props.tfc.moduleVersionLabel ? { MODULE_VERSION_LABEL: props.tfc.moduleVersionLabel } : {}),
        ...(props.tfc.awsRunRoleArn ? { TFC_AWS_RUN_ROLE_ARN: props.tfc.awsRunRoleArn } : {}),
      },
      bundledDirectories: [TERRAFORM_MODULE_BUNDLE],
    });
    this.check = step('Check', {
      entry: 'lambdas/handlers/flow/check.ts',
      description: 'Reads the Terraform run and classifies it',
      timeout: Duration.seconds(90),
    });
    this.finalize = step('Finalize', {
      entry: 'lambdas/handlers/flow/finalize.ts',
      description: 'Records the outcome of the flow and publishes the lifecycle event',
      timeout: Duration.seconds(240),
    }).bindTopic(props.lifecycleTopic);

    const substitutions: Record<(typeof FLOW_SUBSTITUTIONS)[number], string> = {
      TriggerFunctionArn: this.trigger.function.functionArn,
      CheckFunctionArn: this.check.function.functionArn,
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
      // The definition string hides the tasks from CDK: grant exactly the three functions, unqualified.
      machine.addToRolePolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: Object.values(substitutions),
        }),
      );
      acknowledge(machine.role, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing (xray:PutTraceSegments, GetSamplingRules) support no resource-level permissions; lambda:InvokeFunction names the three flow functions.',
      });
      machines[action] = machine;
    }
    this.stateMachines = machines;
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
