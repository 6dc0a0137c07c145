import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsLifecycleNotifier } from '../../../../lambdas/adapters/sns/notifier';
import type { LifecycleEvent, RolloutEvent } from '../../../../lambdas/core/ports';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:lifecycle';
const AT = '2026-01-01T00:00:00.000Z';
const sdk = new SNSClient({ region: 'eu-west-1' });
const sns = mockClient(sdk);
const notifier = new SnsLifecycleNotifier(sdk, TOPIC);
const text = (value: string) => ({ DataType: 'String', StringValue: value });

const tenantEvent: LifecycleEvent = {
  event: 'TenantReady',
  tenantCode: 'acme',
  flowId: 'flow-1',
  action: 'create',
  status: 'ready',
  at: AT,
  outputs: { url: 'https://acme.example' },
};
const rolloutEvent: RolloutEvent = {
  event: 'RolloutHalted',
  rolloutId: 'r-1',
  moduleVersion: '1.2.0',
  status: 'halted',
  counts: { total: 2, pending: 0, inProgress: 0, succeeded: 1, failed: 1, skipped: 0 },
  at: AT,
  reason: 'too many failures',
};

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('SnsLifecycleNotifier', () => {
  it.each([
    {
      kind: 'a tenant event',
      publish: () => notifier.notify(tenantEvent),
      event: tenantEvent,
      subject: 'TenantReady: acme',
      attributes: {
        event: text('TenantReady'),
        tenantCode: text('acme'),
        action: text('create'),
        status: text('ready'),
      },
    },
    {
      kind: 'a rollout event',
      publish: () => notifier.notifyRollout(rolloutEvent),
      event: rolloutEvent,
      subject: 'RolloutHalted: r-1',
      attributes: { event: text('RolloutHalted'), rolloutId: text('r-1'), status: text('halted') },
    },
  ])('publishes $kind whole, with the attributes subscribers filter on', async (c) => {
    await c.publish();

    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: c.subject,
        Message: JSON.stringify(c.event),
        MessageAttributes: c.attributes,
      },
    ]);
  });
});
