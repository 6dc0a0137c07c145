import { Match } from 'aws-cdk-lib/assertions';
import { ACTIONS } from '../../lambdas/core/flows';
import { type CfnResource, arnOf, ref, resourcesOfType, synthStack } from './support';

const withEmail = synthStack({ alarmEmail: 'oncall@example.com' });
const cp = withEmail.stack.controlPlane;
const alarms = Object.values(resourcesOfType(withEmail.template, 'AWS::CloudWatch::Alarm'));

const alarmsOn = (metricName: string, dimension?: object) =>
  alarms.filter(
    (a) =>
      a.Properties.MetricName === metricName &&
      (dimension === undefined ||
        JSON.stringify(a.Properties.Dimensions).includes(JSON.stringify(dimension).slice(1, -1))),
  );
const fires = (alarm: CfnResource | undefined) =>
  expect(alarm?.Properties).toMatchObject({
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
  });

describe('alarms', () => {
  it('watches failed and timed-out executions of each state machine', () => {
    for (const action of ACTIONS) {
      const machine = { Name: 'StateMachineArn', Value: ref(cp.flows.stateMachines[action]) };
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
        const found = alarmsOn(metric, machine);
        expect(found).toHaveLength(1);
        fires(found[0]);
      }
    }
  });

  it('fires as soon as any dead-letter queue holds a message', () => {
    const queues = Object.keys(resourcesOfType(withEmail.template, 'AWS::SQS::Queue'));
    expect(queues).toHaveLength(5);
    for (const queue of queues) {
      const found = alarmsOn('ApproximateNumberOfMessagesVisible', {
        Name: 'QueueName',
        Value: { 'Fn::GetAtt': [queue, 'QueueName'] },
      });
      expect(found).toHaveLength(1);
      fires(found[0]);
      expect(found[0]?.Properties.Statistic).toBe('Maximum');
    }
  });

  it('watches the errors of every function and the API’s 5XX answers', () => {
    for (const fn of Object.values(cp.functions)) {
      const found = alarmsOn('Errors', { Name: 'FunctionName', Value: ref(fn.function) });
      expect(found).toHaveLength(1);
      fires(found[0]);
    }
    expect(alarmsOn('5XXError')).toHaveLength(1);
  });

  it.each([
    ['TenantFailed', 'finalize emits it'],
    ['NotificationSignatureRejected', 'the receiver counts each run notification refused for its signature'],
  ])('fires on any %s (%s)', (metric) => {
    const found = alarmsOn(metric);
    expect(found).toHaveLength(1);
    expect(found[0]?.Properties).toMatchObject({
      Namespace: 'TenantControlPlane',
      Dimensions: [{ Name: 'service', Value: 'tenant-control-plane' }],
      Statistic: 'Sum',
    });
    fires(found[0]);
  });

  it('notifies an encrypted alarm topic with an email subscription, CloudWatch allowed to use its key', () => {
    const topic = cp.alarms.topic;
    expect(alarms.length).toBe(3 * 2 + 5 + 22 + 1 + 1 + 1);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([ref(topic)]);
      expect(alarm.Properties.OKActions).toEqual([ref(topic)]);
    }
    withEmail.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(cp.encryptionKey) });
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: ref(topic),
    });
    withEmail.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('notifies an existing topic when given one, and its own topic when neither topic nor email is set', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:platform-oncall';
    const given = Object.values(
      resourcesOfType(synthStack({ alarmTopicArn: topicArn }).template, 'AWS::CloudWatch::Alarm'),
    );
    expect(given.every((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([topicArn]))).toBe(
      true,
    );

    const bare = synthStack();
    const topic = ref(bare.stack.controlPlane.alarms.topic);
    const all = Object.values(resourcesOfType(bare.template, 'AWS::CloudWatch::Alarm'));
    expect(all.length).toBeGreaterThanOrEqual(23);
    for (const alarm of all) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
    bare.template.resourceCountIs('AWS::SNS::Subscription', 0);
    bare.template.resourceCountIs('AWS::SNS::Topic', 2); // the lifecycle topic and the alarm topic
    bare.template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Tenant control plane alarms',
      KmsMasterKeyId: arnOf(bare.stack.controlPlane.encryptionKey),
    });
  });
});
