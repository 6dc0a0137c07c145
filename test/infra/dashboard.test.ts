import { TENANT_STATUSES } from '../../lambdas/core/lifecycle';
import { TFC_RETRY_LOG_MESSAGE } from '../../lambdas/core/telemetry';
import { TFC_THROTTLED_METRIC } from '../../lib';
import { logicalId, resourcesOfType, synthStack } from './support';

const { stack, template } = synthStack();
const cp = stack.controlPlane;

interface Widget {
  type: string;
  properties: {
    title?: string;
    metrics?: unknown[][];
    query?: string;
    alarms?: unknown[];
    markdown?: string;
  };
}

/** The dashboard body with every CloudFormation token replaced by `<token:LogicalId>`, parsed. */
function widgets(): Widget[] {
  const dashboards = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : `<token:${JSON.stringify(part).replace(/"/g, "'")}>`))
    .join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

const byTitle = (title: string) => {
  const found = widgets().find((w) => w.properties.title === title);
  if (!found) throw new Error(`no widget '${title}'`);
  return found;
};
/** The metric names of a graph widget (each row: namespace, name, dimension pairs…, options). */
const metricRows = (title: string) =>
  (byTitle(title).properties.metrics ?? []).map((row) => JSON.stringify(row));

describe('dashboard', () => {
  it('shows tenants by status: one line per status of the Tenants gauge the reconciler publishes', () => {
    const rows = metricRows('Tenants by status');
    expect(rows).toHaveLength(TENANT_STATUSES.length);
    for (const status of TENANT_STATUSES) {
      expect(rows).toContainEqual(
        expect.stringContaining(
          `"TenantControlPlane","Tenants","service","tenant-control-plane","status","${status}"`,
        ),
      );
    }
  });

  it('shows flow outcomes (lifecycle events and executions) and durations for the three flows', () => {
    expect(metricRows('Flow outcomes (lifecycle events)').join()).toMatch(
      /TenantReady.*TenantFailed.*TenantDeleted/,
    );
    const executions = metricRows('Flow executions: succeeded / failed / timed out').join();
    const durations = metricRows('Flow duration (p50 / p90 / max, ms)').join();
    for (const machine of Object.values(cp.flows.stateMachines)) {
      for (const metric of ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut']) {
        expect(executions).toMatch(
          new RegExp(`"${metric}","StateMachineArn","<token:\\{'Ref':'${logicalId(machine)}'\\}>"`),
        );
      }
      expect(durations).toContain(`'Ref':'${logicalId(machine)}'`);
    }
    expect(durations).toMatch(/"stat":"p90"/);
  });

  it('counts TFC 429s from the TFC-calling functions’ retry log lines', () => {
    expect(metricRows('TFC throttling (429 answers retried)').join()).toContain(
      `"TenantControlPlane","${TFC_THROTTLED_METRIC}"`,
    );
    const filters = Object.values(resourcesOfType(template, 'AWS::Logs::MetricFilter'));
    expect(filters.map((f) => JSON.stringify(f.Properties.LogGroupName)).sort()).toEqual(
      [cp.flows.trigger, cp.flows.check, cp.flows.finalize]
        .map((fn) => JSON.stringify({ Ref: logicalId(fn.logGroup) }))
        .sort(),
    );
    for (const filter of filters) {
      expect(filter.Properties.FilterPattern).toBe(
        `{ ($.message = "${TFC_RETRY_LOG_MESSAGE}") && ($.status = 429) }`,
      );
      expect(filter.Properties.MetricTransformations).toEqual([
        { MetricNamespace: 'TenantControlPlane', MetricName: TFC_THROTTLED_METRIC, MetricValue: '1' },
      ]);
    }
  });

  it('shows the depth of every dead-letter queue', () => {
    const rows = metricRows('Dead-letter queue depth');
    const queues = Object.keys(resourcesOfType(template, 'AWS::SQS::Queue'));
    expect(rows).toHaveLength(queues.length);
    for (const queue of queues) {
      expect(rows).toContainEqual(
        expect.stringContaining(
          `"ApproximateNumberOfMessagesVisible","QueueName","<token:{'Fn::GetAtt':['${queue}','QueueName']}>"`,
        ),
      );
    }
  });

  it('shows errors of every function and their cold starts from the REPORT lines', () => {
    const errors = metricRows('Function errors and throttles').join();
    const coldStarts = byTitle('Cold starts (init duration, ms)').properties.query ?? '';
    for (const fn of Object.values(cp.functions)) {
      expect(errors).toContain(`"Errors","FunctionName","<token:{'Ref':'${logicalId(fn.function)}'}>"`);
      expect(coldStarts).toContain(`SOURCE '<token:{'Ref':'${logicalId(fn.logGroup)}'}>'`);
    }
    expect(coldStarts).toContain('ispresent(@initDuration)');
  });

  it('puts every alarm at the top', () => {
    const alarms = byTitle('Alarms').properties.alarms ?? [];
    expect(alarms).toHaveLength(cp.alarms.alarms.length);
  });
});
