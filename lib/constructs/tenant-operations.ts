import { Duration } from 'aws-cdk-lib';
import { COORDINATION_TABLE_ACTIONS, TENANT_TABLE_ACTIONS } from '../../lambdas/core/table-access';
import type { TableBase } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { type IStateMachine, StateMachineGrants } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ACTIONS, type Action } from '../../lambdas/core/flows';
import { DEFAULT_FAIL_AFTER_SECONDS, DEFAULT_REPUBLISH_AFTER_SECONDS } from '../../lambdas/core/defaults';
import { BUS_ENV, TABLE_ENV } from '../../lambdas/handlers/contract';
import { OPS_ENV } from '../../lambdas/handlers/ops/contract';
import { acknowledge, wildcardResourceFinding } from '../nag';
import { ControlPlaneFunction } from './control-plane-function';
import { DeadLetterQueue } from './dead-letter-queue';

export interface TenantOperationsProps {
  /** The tenant table. */
  readonly table: TableBase;
  /**
   * The coordination table, where the reconciler frees the run slots of lost flows.
   * @default - the reconciler frees no run slots
   */
  readonly coordinationTable?: TableBase;
  /** Each action's request bus. */
  readonly buses: Readonly<Record<Action, IEventBus>>;
  /** Each action's state machine, whose executions the reconciler inspects. */
  readonly stateMachines: Readonly<Record<Action, IStateMachine>>;
  /**
   * Where the reconciler announces the tenants it fails (`TenantFailed`, like finalize).
   * @default - no announcement; the TenantFailed metric still counts them
   */
  readonly lifecycleTopic?: ITopic;
  /**
   * When the decommission sweep runs.
   * @default - daily at 03:00 UTC
   */
  readonly decommissionSchedule?: Schedule;
  /**
   * When the reconciler runs.
   * @default - every 15 minutes
   */
  readonly reconcileSchedule?: Schedule;
  /**
   * How long a tenant may sit in an in-progress status without a running execution before the reconciler
   * publishes its request event again.
   * @default Duration.minutes(10) — the reconciler's own default
   */
  readonly reconcileRepublishAfter?: Duration;
  /**
   * How long a tenant may sit in an in-progress status before the reconciler marks it failed.
   * @default Duration.hours(24) — the reconciler's own default, the flow definition's timeout
   */
  readonly reconcileFailAfter?: Duration;
  /**
   * Retention of the functions' logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Scheduled housekeeping: the daily decommission sweep (tenants past their decommission date go to the
 * delete bus as `system`) and the reconciler (tenants stuck in progress are republished or failed, the
 * failures announced on the lifecycle topic).
 */
export class TenantOperations extends Construct {
  public readonly decommission: ControlPlaneFunction;
  public readonly reconciler: ControlPlaneFunction;
  public readonly deadLetterQueues: readonly DeadLetterQueue[];

  public constructor(scope: Construct, id: string, props: TenantOperationsProps) {
    super(scope, id);
    const republishAfter = props.reconcileRepublishAfter ?? Duration.seconds(DEFAULT_REPUBLISH_AFTER_SECONDS);
    const failAfter = props.reconcileFailAfter ?? Duration.seconds(DEFAULT_FAIL_AFTER_SECONDS);
    if (failAfter.toSeconds() <= republishAfter.toSeconds()) {
      throw new Error(`${this.node.path}: reconcileFailAfter must be longer than reconcileRepublishAfter`);
    }

    // Reads the sparse byDecommissionDate index and makes the same conditional transition as the API's
    // delete (UpdateItem), never a put or delete of rows.
    this.decommission = new ControlPlaneFunction(this, 'Decommission', {
      entry: 'lambdas/handlers/ops/decommission.ts',
      description: 'Daily sweep: deletes tenants past their decommission date',
      timeout: Duration.minutes(5),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    })
      .bindTable(props.table, { actions: TENANT_TABLE_ACTIONS.decommission })
      .bindEventBus(props.buses.delete, BUS_ENV.delete);

    this.reconciler = new ControlPlaneFunction(this, 'Reconciler', {
      entry: 'lambdas/handlers/ops/reconciler.ts',
      description: 'Republishes or fails tenants stuck in an in-progress status',
      timeout: Duration.minutes(5),
      environment: {
        [OPS_ENV.republishAfterSeconds]: String(republishAfter.toSeconds()),
        [OPS_ENV.failAfterSeconds]: String(failAfter.toSeconds()),
      },
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    }).bindTable(props.table, { actions: TENANT_TABLE_ACTIONS.reconciler });
    if (props.coordinationTable) {
      this.reconciler.bindTableActions(
        props.coordinationTable,
        TABLE_ENV.coordination,
        COORDINATION_TABLE_ACTIONS.reconciler,
      );
    }
    if (props.lifecycleTopic) this.reconciler.bindTopic(props.lifecycleTopic);
    for (const action of ACTIONS) {
      this.reconciler.bindEventBus(props.buses[action], BUS_ENV[action]);
      const grant = StateMachineGrants.fromStateMachine(props.stateMachines[action]).execution(
        this.reconciler,
        'states:DescribeExecution',
      );
      for (const resource of grant.principalStatement?.resources ?? []) {
        acknowledge(this.reconciler.role, {
          id: wildcardResourceFinding(this, resource),
          reason: `states:DescribeExecution on the executions of the ${action} state machine only: execution ARNs end in the execution name, which the reconciler reads from the tenant row.`,
        });
      }
    }

    const queues: DeadLetterQueue[] = [];
    const schedule = (ruleId: string, fn: ControlPlaneFunction, when: Schedule, what: string) => {
      const dlq = new DeadLetterQueue(this, `${ruleId}DeadLetters`, {
        purpose: `scheduled events EventBridge could not deliver to the ${what}`,
      });
      queues.push(dlq);
      new Rule(this, ruleId, {
        description: `Runs the ${what}`,
        schedule: when,
        targets: [
          new LambdaFunction(fn.function, {
            deadLetterQueue: dlq.queue,
            retryAttempts: 4,
            maxEventAge: Duration.hours(1),
          }),
        ],
      });
    };
    schedule(
      'DecommissionSchedule',
      this.decommission,
      props.decommissionSchedule ?? Schedule.cron({ minute: '0', hour: '3' }),
      'decommission sweep',
    );
    schedule(
      'ReconcileSchedule',
      this.reconciler,
      props.reconcileSchedule ?? Schedule.rate(Duration.minutes(15)),
      'reconciler',
    );
    this.deadLetterQueues = queues;
  }
}
