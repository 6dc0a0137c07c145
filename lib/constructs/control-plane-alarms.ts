import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type ITopic, Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FAILURE_EVENT } from '../../lambdas/core/flows';
import { NOTIFICATION_SIGNATURE_REJECTED_METRIC } from '../../lambdas/core/telemetry';
import { type ControlPlaneFunction, METRICS_NAMESPACE, SERVICE_NAME } from './control-plane-function';

/** Where the alarms notify. */
export interface AlarmNotificationOptions {
  /**
   * Topic every alarm (and its recovery) is sent to, e.g. the platform's on-call topic.
   * @default - an encrypted alarm topic of the control plane's own (subscribe to it, or set `alarmEmail`)
   */
  readonly alarmTopic?: ITopic;
  /**
   * Address subscribed to the alarm topic (it must confirm the subscription).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
}

export interface ControlPlaneAlarmsProps extends AlarmNotificationOptions {
  /** State machines whose failed and timed-out executions raise an alarm. */
  readonly stateMachines: Readonly<Record<string, IStateMachine>>;
  /** Functions whose errors raise an alarm, by name. */
  readonly functions: Readonly<Record<string, ControlPlaneFunction>>;
  /** Dead-letter queues that raise an alarm as soon as they hold a message, by name. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** The API, whose 5XX answers raise an alarm. */
  readonly api: RestApi;
  /**
   * Whether the run notification receiver exists: any notification it refuses for a missing or wrong
   * signature raises an alarm (a rotated token TFC does not have yet, or someone probing the public URL).
   * @default false
   */
  readonly signatureRejections?: boolean;
  /** Key encrypting a topic this construct creates. */
  readonly encryptionKey: IKey;
}

/**
 * Alarms on everything that means a tenant or a request needs a person: failed or timed-out executions
 * per state machine, any message in a dead-letter queue, function errors, API 5XX, the `TenantFailed`
 * metric finalize emits and the receiver's `NotificationSignatureRejected` (namespace `TenantControlPlane`,
 * dimension `service`).
 */
export class ControlPlaneAlarms extends Construct {
  public readonly alarms: Alarm[] = [];
  /** Where every alarm goes: the given topic, or the control plane's own. */
  public readonly topic: ITopic;

  public constructor(scope: Construct, id: string, props: ControlPlaneAlarmsProps) {
    super(scope, id);
    // Always a topic: an alarm with no action reaches nobody.
    this.topic = props.alarmTopic ?? this.createTopic(props.encryptionKey);
    if (props.alarmEmail) {
      new Subscription(this, 'EmailSubscription', {
        topic: this.topic,
        protocol: SubscriptionProtocol.EMAIL,
        endpoint: props.alarmEmail,
      });
    }

    for (const [name, machine] of Object.entries(props.stateMachines)) {
      this.alarm(`${name}ExecutionsFailed`, machine.metricFailed(), `${name} flow executions failed`);
      this.alarm(`${name}ExecutionsTimedOut`, machine.metricTimedOut(), `${name} flow executions timed out`);
    }
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarm(
        `${name}DeadLetters`,
        queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
        `${name}: events EventBridge could not deliver`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}Errors`, fn.function.metricErrors(), `${name} function errors`);
    }
    this.alarm('Api5xx', props.api.metricServerError(), 'API answered 5XX');
    this.alarm(
      'TenantFailed',
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: FAILURE_EVENT,
        dimensionsMap: { service: SERVICE_NAME },
        statistic: 'Sum',
      }),
      'A tenant flow ended in the failed status',
    );
    if (props.signatureRejections) {
      this.alarm(
        'NotificationSignatureRejected',
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: NOTIFICATION_SIGNATURE_REJECTED_METRIC,
          dimensionsMap: { service: SERVICE_NAME },
          statistic: 'Sum',
        }),
        'The run notification receiver refused requests without a valid signature',
      );
    }
  }

  private alarm(alarmId: string, metric: Metric, description: string): void {
    const alarm = new Alarm(this, alarmId, {
      metric: metric.with({ period: Duration.minutes(5) }),
      alarmDescription: `${description} (tenant control plane ${Stack.of(this).stackName})`,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }

  private createTopic(key: IKey): Topic {
    // CloudWatch publishes to the encrypted topic: it needs the key, for this account's alarms only.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return new Topic(this, 'Topic', {
      displayName: 'Tenant control plane alarms',
      masterKey: key,
      enforceSSL: true,
    });
  }
}
