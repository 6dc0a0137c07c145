import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, FLOWS, type Action, type TenantRequestDetail } from '../../core/flows';
import type { EventPublisher } from '../../core/ports';

/** Publishes each request event to its action's own bus. */
export class EventBridgePublisher implements EventPublisher {
  public constructor(
    private readonly client: EventBridgeClient,
    private readonly busNames: Partial<Record<Action, string>>,
  ) {}

  public async publish(action: Action, detail: TenantRequestDetail): Promise<void> {
    const busName = this.busNames[action];
    if (!busName) throw new Error(`no event bus configured for the ${action} action`);
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: FLOWS[action].detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    // PutEvents answers 200 even when an entry was rejected; the failure is per entry.
    const failed = out.Entries?.find((e) => e.ErrorCode);
    if ((out.FailedEntryCount ?? 0) > 0 || failed) {
      throw new Error(
        `EventBridge rejected the ${action} event: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim(),
      );
    }
  }
}
