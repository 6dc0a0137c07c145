import { request } from 'undici';
import type { LifecycleEvent, LifecycleNotifier, RolloutEvent, RolloutNotifier } from '../core/ports';

/**
 * Lifecycle events locally: one JSON line each on the given writer and, when a webhook is configured,
 * POSTed there. A webhook that fails is reported, not retried forever: the event is already printed.
 */
export class LocalNotifier implements LifecycleNotifier, RolloutNotifier {
  public constructor(
    private readonly write: (line: string) => void,
    private readonly webhookUrl?: string,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  public async notify(event: LifecycleEvent): Promise<void> {
    this.write(JSON.stringify({ lifecycleEvent: event }));
    await this.post(event, `${event.event} ${event.tenantCode}`);
  }

  public async notifyRollout(event: RolloutEvent): Promise<void> {
    this.write(JSON.stringify({ lifecycleEvent: event }));
    await this.post(event, `${event.event} ${event.rolloutId}`);
  }

  private async post(event: LifecycleEvent | RolloutEvent, what: string): Promise<void> {
    if (!this.webhookUrl) return;
    try {
      const res = await request(this.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      await res.body.dump();
      if (res.statusCode >= 300) this.warn(`webhook answered ${res.statusCode} for ${what}`);
    } catch (error) {
      this.warn(`webhook failed for ${what}: ${(error as Error).message}`);
    }
  }
}
