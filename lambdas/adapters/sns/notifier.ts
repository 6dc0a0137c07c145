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

  public notify(event: LifecycleEvent): Promise<void> {
    const { tenantCode, action, status } = event;
    return this.publish(`${event.event}: ${tenantCode}`, event, { tenantCode, action, status });
  }

  public notifyRollout(event: RolloutEvent): Promise<void> {
    const { rolloutId, status } = event;
    return this.publish(`${event.event}: ${rolloutId}`, event, { rolloutId, status });
  }

  /** The event as the message, its name and `attributes` as string message attributes to filter on. */
  private async publish(
    subject: string,
    event: LifecycleEvent | RolloutEvent,
    attributes: Record<string, string>,
  ): Promise<void> {
    const named = { event: event.event, ...attributes };
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: JSON.stringify(event),
        MessageAttributes: Object.fromEntries(
          Object.entries(named).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }),
    );
  }
}
