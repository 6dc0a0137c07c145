import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { LifecycleEvent, LifecycleNotifier } from '../../core/ports';

/**
 * Publishes lifecycle events to the SNS topic, with message attributes subscribers can filter on
 * (`event`, `tenantCode`, `action`, `status`).
 */
export class SnsLifecycleNotifier implements LifecycleNotifier {
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
}
