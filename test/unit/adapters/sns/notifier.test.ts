import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsLifecycleNotifier } from '../../../../lambdas/adapters/sns/notifier';
import type { LifecycleEvent, RolloutEvent } from '../../../../lambdas/core/ports';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:lifecycle';
const sdk = new SNSClient({ region: 'eu-west-1' });
const sns = mockClient(sdk);
const notifier = new SnsLifecycleNotifier(sdk, TOPIC);
const text = (value: string) => ({ DataType: 'String', StringValue: value });

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('SnsLifecycleNotifier', () => {
  it('publishes a tenant event whole, with the attributes subscribers filter on', async () => {
    const event: LifecycleEvent = {
      event: 'TenantReady',
      tenantCode: 'acme',
      flowId: 'flow-1',
      action: 'create',
      status: 'ready',
      at: '2026-01-01T00:00:00.000Z',
      outputs: { url: 'https://acme.example' },
    };

    await notifier.notify(event);

    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: 'TenantReady: acme',
        Message: JSON.stringify(event),
        MessageAttributes: {
          event: text('TenantReady'),
          tenantCode: text('acme'),
          action: text('create'),
          status: text('ready'),
        },
      },
    ]);
  });

  it('publishes a rollout event whole, with its id and status as attributes', async () => {
    const event: RolloutEvent = {
      event: 'RolloutHalted',
      rolloutId: 'r-1',
      moduleVersion: '1.2.0',
      status: 'halted',
      counts: { total: 2, pending: 0, inProgress: 0, succeeded: 1, failed: 1, skipped: 0 },
      at: '2026-01-01T00:00:00.000Z',
      reason: 'too many failures',
    };

    await notifier.notifyRollout(event);

    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: 'RolloutHalted: r-1',
        Message: JSON.stringify(event),
        MessageAttributes: { event: text('RolloutHalted'), rolloutId: text('r-1'), status: text('halted') },
      },
    ]);
  });
});
