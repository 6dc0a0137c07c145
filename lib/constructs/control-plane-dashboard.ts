import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  LogQueryVisualizationType,
  LogQueryWidget,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LIFECYCLE_EVENTS } from '../../lambdas/core/flows';
import { TENANT_STATUSES } from '../../lambdas/core/lifecycle';
import { TENANTS_METRIC, TFC_RETRY_LOG_MESSAGE } from '../../lambdas/core/telemetry';
import { type ControlPlaneFunction, METRICS_NAMESPACE, SERVICE_NAME } from './control-plane-function';

/** Metric the TFC throttling filter counts: one per 429 answer the client waited out and retried. */
export const TFC_THROTTLED_METRIC = 'TfcThrottled';

export interface ControlPlaneDashboardProps {
  /** The flows' state machines, by name. */
  readonly stateMachines: Readonly<Record<string, IStateMachine>>;
  /** Every function, by name: errors, throttles and cold starts. */
  readonly functions: Readonly<Record<string, ControlPlaneFunction>>;
  /** Functions that call Terraform Cloud, whose logs count 429 answers. */
  readonly tfcFunctions: readonly ControlPlaneFunction[];
  /** Dead-letter queues, by name. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** The API. */
  readonly api: RestApi;
  /** The alarms shown at the top. */
  readonly alarms: readonly Alarm[];
  /**
   * Name of the dashboard.
   * @default - `<stack name>-tenants`
   */
  readonly dashboardName?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * One CloudWatch dashboard for operators: alarms, tenants by status, flow outcomes and durations, TFC
 * throttling, dead-letter queues, function errors and cold starts, the API. The README says what each
 * widget shows and what to do when it turns red.
 */
export class ControlPlaneDashboard extends Construct {
  public readonly dashboard: Dashboard;

  public constructor(scope: Construct, id: string, props: ControlPlaneDashboardProps) {
    super(scope, id);
    const custom = (metricName: string, dimensions: Record<string, string> = {}, statistic = 'Sum') =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: SERVICE_NAME, ...dimensions },
        statistic,
        period: FIVE_MINUTES,
      });

    // Every retried 429 of the TFC client is one log line; the filter turns it into a metric.
    for (const fn of props.tfcFunctions) {
      new MetricFilter(this, `${fn.node.id}TfcThrottled`, {
        logGroup: fn.logGroup,
        filterPattern: FilterPattern.all(
          FilterPattern.stringValue('$.message', '=', TFC_RETRY_LOG_MESSAGE),
          FilterPattern.numberValue('$.status', '=', 429),
        ),
        metricNamespace: METRICS_NAMESPACE,
        metricName: TFC_THROTTLED_METRIC,
        metricValue: '1',
      });
    }
    const throttled = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: TFC_THROTTLED_METRIC,
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });

    const machines = Object.entries(props.stateMachines);
    const functions = Object.entries(props.functions);
    const labelled = (metric: Metric, label: string): IMetric => metric.with({ label, period: FIVE_MINUTES });
    const graph = (title: string, left: IMetric[], width = 12, right?: IMetric[]) =>
      new GraphWidget({ title, left, ...(right ? { right } : {}), width, height: 6 });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${Stack.of(this).stackName}-tenants`,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Tenant control plane\nWhat each widget means and what to do when it turns red: README, section "Dashboard".',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }),
    );
    this.dashboard.addWidgets(
      graph(
        'Tenants by status',
        TENANT_STATUSES.map((status) => labelled(custom(TENANTS_METRIC, { status }, 'Maximum'), status)),
      ),
      graph(
        'Flow outcomes (lifecycle events)',
        LIFECYCLE_EVENTS.map((event) => labelled(custom(event), event)),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Flow executions: succeeded / failed / timed out',
        machines.flatMap(([name, m]) => [
          labelled(m.metricSucceeded(), `${name} succeeded`),
          labelled(m.metricFailed(), `${name} failed`),
          labelled(m.metricTimedOut(), `${name} timed out`),
        ]),
      ),
      graph(
        'Flow duration (p50 / p90 / max, ms)',
        machines.flatMap(([name, m]) => [
          labelled(m.metricTime({ statistic: 'p50' }), `${name} p50`),
          labelled(m.metricTime({ statistic: 'p90' }), `${name} p90`),
          labelled(m.metricTime({ statistic: 'Maximum' }), `${name} max`),
        ]),
      ),
    );
    this.dashboard.addWidgets(
      graph('TFC throttling (429 answers retried)', [labelled(throttled, '429s')], 8),
      graph(
        'Dead-letter queue depth',
        Object.entries(props.deadLetterQueues).map(([name, q]) =>
          labelled(q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }), name),
        ),
        8,
      ),
      graph(
        'API: 4XX / 5XX / p99 latency',
        [labelled(props.api.metricClientError(), '4XX'), labelled(props.api.metricServerError(), '5XX')],
        8,
        [labelled(props.api.metricLatency({ statistic: 'p99' }), 'p99 latency (ms)')],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Function errors and throttles',
        functions.flatMap(([name, fn]) => [
          labelled(fn.function.metricErrors(), `${name} errors`),
          labelled(fn.function.metricThrottles(), `${name} throttles`),
        ]),
      ),
      new LogQueryWidget({
        title: 'Cold starts (init duration, ms)',
        logGroupNames: functions.map(([, fn]) => fn.logGroup.logGroupName),
        view: LogQueryVisualizationType.TABLE,
        queryLines: [
          'filter @type = "REPORT" and ispresent(@initDuration)',
          'stats count(*) as coldStarts, avg(@initDuration) as avgInitMs, max(@initDuration) as maxInitMs by @log',
          'sort coldStarts desc',
        ],
        width: 12,
        height: 6,
      }),
    );
  }
}
