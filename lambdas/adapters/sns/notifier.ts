import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { LifecycleEvent, LifecycleNotifier, RolloutEvent, RolloutNotifier } from '../../core/ports';

/**
 * Publishes lifecycle events to the SNS topic, with message attributes subscribers can filter on
 * (`event`, `tenantCode`, `action`, `status`; rollout events: `event`, `rolloutId`, `status`).
 */
export class SnsLifecycleNotifier implements LifecycleNotifier, RolloutNotifier {
  public constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  public async notify(event: LifecycleEvent): Promise<void> {
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: `${event.event}: ${event.tenantCode}`,
        Message: JSON.stringify(event),
        MessageAttributes: {
          event: attribute(event.event),
          tenantCode: attribute(event.tenantCode),
          action: attribute(event.action),
          status: attribute(event.status),
        },
      }),
    );
  }

  public async notifyRollout(event: RolloutEvent): Promise<void> {
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: `${event.event}: ${event.rolloutId}`,
        Message: JSON.stringify(event),
        MessageAttributes: {
          event: attribute(event.event),
          rolloutId: attribute(event.rolloutId),
          status: attribute(event.status),
        },
      }),
    );
  }
}
