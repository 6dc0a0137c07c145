/**
 * Run notifications as HCP Terraform sends them, from hashicorp/terraform-docs-common
 * `api-docs/notification-configurations.mdx` (workspace configurations) and hashicorp/web-unified-docs
 * `api-docs/notification-configurations/project.mdx` (project configurations, "apply to every
 * workspace in the project"):
 * - "Run Notification Payload": `payload_version` 1, the run, workspace and organization, and one entry
 *   in `notifications[]` (message, trigger, run_status, run_updated_at, run_updated_by; project.mdx also
 *   documents `trigger_type` for `run:errored` and `run:needs_attention`).
 * - "Notification Authenticity": with a `token`, `X-TFE-Notification-Signature` is the hex HMAC-SHA512 of
 *   the request body keyed with the token (its Ruby sample: `OpenSSL::HMAC.hexdigest(sha512, token,
 *   body)`); without one, no signature. Computed here with node:crypto, independently of the product.
 * - "Notification verification and delivery responses": a verification request (the "Send a test"
 *   payload: every run field null, trigger `verification`) on saving an enabled configuration and on the
 *   verify action; success is a 2xx; the most recent response is kept in `delivery-responses`.
 * - Nothing is sent for speculative (plan-only) runs (the page's note). Nothing is ever sent twice: the
 *   docs describe no retry or redelivery of a notification the destination failed or did not answer
 *   (DESIGN.md "Event-driven completion": TFC promises none), so the fake makes one attempt.
 *
 * The fake sends a notification when it observes a run reach a status (every request and view brings runs
 * up to date; a timer wakes it when the next status is due), so a simulated `clock` works too: the
 * notification then goes out when the fake next looks, within 250 ms of real time.
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';

import { isoTime } from './jsonapi';
import type { DeliveryResponseRecord, NotificationConfigurationRecord, RunRecord } from './records';
import { isTerminal, runEvents } from './run-timeline';
import type { Store } from './store';
import type {
  FakeNotificationDelivery,
  FakeNotificationIntent,
  FakeNotificationOptions,
  FakeRunStatus,
} from './types';

/** The header the signature travels in (notification-configurations.mdx "Notification Authenticity"). */
export const SIGNATURE_HEADER = 'X-TFE-Notification-Signature';

/** The user runs and their updates are attributed to (`run_created_by`, `run_updated_by`). */
const USERNAME = 'owner';

/** Longest real-time sleep between two looks when the next status is further away (simulated clocks). */
const MAX_SLEEP_MS = 250;

/** Kept of a destination's answer in `delivery-responses` ("may be truncated"). */
const MAX_RESPONSE_BODY = 1000;

interface TriggerInfo {
  trigger: string;
  /** project.mdx: the finer value for `run:errored` and `run:needs_attention`. */
  triggerType?: string;
  message: string;
}

/**
 * The trigger a status fires (notification-configurations.mdx "Notification Triggers"): created =
 * pending, planning, needs attention = a plan waiting for a person (confirmation or policy override),
 * applying, completed = "completes successfully", errored = "terminates early due to error or
 * cancellation". Messages other than the sample's "Run Canceled" are assumed. A discarded run fires
 * nothing: the docs name error and cancellation only, and the stricter reading is kept.
 */
export function triggerOf(status: FakeRunStatus): TriggerInfo | undefined {
  switch (status) {
    case 'pending':
      return { trigger: 'run:created', message: 'Run Pending' };
    case 'planning':
      return { trigger: 'run:planning', message: 'Run Planning' };
    case 'planned':
    case 'cost_estimated':
    case 'policy_checked':
    case 'post_plan_awaiting_decision':
      return {
        trigger: 'run:needs_attention',
        triggerType: 'run:pending_apply_approval',
        message: 'Run Needs Attention',
      };
    case 'policy_override':
      return {
        trigger: 'run:needs_attention',
        triggerType: 'run:policy_override_required',
        message: 'Run Needs Attention',
      };
    case 'applying':
      return { trigger: 'run:applying', message: 'Run Applying' };
    case 'applied':
      return { trigger: 'run:completed', message: 'Run Applied' };
    case 'planned_and_finished':
      return { trigger: 'run:completed', message: 'Run Planned and Finished' };
    case 'errored':
      return { trigger: 'run:errored', triggerType: 'run:run_errored', message: 'Run Errored' };
    case 'canceled':
    case 'force_canceled':
      return { trigger: 'run:errored', triggerType: 'run:run_canceled', message: 'Run Canceled' };
    case 'policy_soft_failed':
      return { trigger: 'run:errored', triggerType: 'run:policy_soft_failed', message: 'Run Errored' };
    case 'discarded':
      return undefined;
  }
}

/** Hex HMAC-SHA512 of the body keyed with the token ("Notification Authenticity"). */
export function sign(token: string, body: string): string {
  return createHmac('sha512', token).update(body, 'utf8').digest('hex');
}

/** The "Send a test" payload of a verification request (notification-configurations.mdx). */
export function verificationPayload(nc: NotificationConfigurationRecord): Record<string, unknown> {
  return {
    payload_version: 1,
    notification_configuration_id: nc.id,
    run_url: null,
    run_id: null,
    run_message: null,
    run_created_at: null,
    run_created_by: null,
    workspace_id: null,
    workspace_name: null,
    organization_name: null,
    notifications: [
      {
        message: `Verification of ${nc.name}`,
        trigger: 'verification',
        run_status: null,
        run_updated_at: null,
        run_updated_by: null,
      },
    ],
  };
}

interface Outcome {
  status: number | undefined;
  error: string | undefined;
  response: DeliveryResponseRecord;
}

export class NotificationHub {
  private readonly deliveries: FakeNotificationDelivery[] = [];
  /** Runs that may still reach a status, with the statuses already handled (`status@at`). */
  private readonly watched = new Map<string, Set<string>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly delays = new Set<NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private drop: FakeNotificationOptions['drop'];
  private closed = false;

  public constructor(
    private readonly store: Store,
    private readonly options: FakeNotificationOptions = {},
  ) {
    this.drop = options.drop;
    store.observers.push({
      runCreated: (run) => this.watched.set(run.id, new Set()),
      advanced: () => this.observe(),
    });
  }

  public get sent(): readonly FakeNotificationDelivery[] {
    return this.deliveries.map((d) => ({ ...d }));
  }

  public setDrop(drop: boolean | ((intent: FakeNotificationIntent) => boolean)): void {
    this.drop = typeof drop === 'function' ? drop : () => drop;
  }

  /** Waits for everything due: bring runs up to date, then let delayed and in-flight requests finish. */
  public async settle(): Promise<void> {
    this.store.advance();
    while (this.inFlight.size > 0 || this.delays.size > 0) {
      await Promise.all([...this.inFlight]);
      if (this.delays.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  public close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const delay of this.delays) clearTimeout(delay);
    this.delays.clear();
  }

  /**
   * Sends the verification request for a configuration and waits for its answer; records it in
   * `delivery-responses`. True on a 2xx.
   */
  public async verify(nc: NotificationConfigurationRecord): Promise<boolean> {
    const body = JSON.stringify(verificationPayload(nc));
    const intent: FakeNotificationIntent = {
      configurationId: nc.id,
      url: nc.url ?? '',
      trigger: 'verification',
      runId: null,
      runStatus: null,
      workspaceName: null,
    };
    const outcome = await this.post(nc, body, intent, this.store.now());
    return outcome !== undefined && outcome.status !== undefined && outcome.status < 300;
  }

  /** Sends what every watched run reached since the last look, then sleeps until the next status. */
  private observe(): void {
    if (this.closed) return;
    const now = this.store.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [runId, handled] of this.watched) {
      const run = this.store.runs.get(runId);
      if (run === undefined || !this.store.workspaces.has(run.workspaceId)) {
        this.watched.delete(runId);
        continue;
      }
      const events = runEvents(run);
      for (const event of events) {
        const key = `${event.status}@${event.at}`;
        if (event.at > now) {
          next = Math.min(next, event.at);
          continue;
        }
        if (handled.has(key)) continue;
        handled.add(key);
        this.notify(run, event.status, event.at);
      }
      const lastEvent = events.at(-1);
      // Done once its terminal status is handled; a run that waits for a person stays watched.
      if (lastEvent !== undefined && lastEvent.at <= now && isTerminal(lastEvent.status))
        this.watched.delete(runId);
    }
    // No configuration, nothing to send: the next request or view is soon enough to mark statuses handled.
    if (Number.isFinite(next) && this.store.notificationConfigurations.size > 0) this.sleepUntil(next, now);
  }

  private sleepUntil(next: number, now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const ms = Math.min(MAX_SLEEP_MS, Math.max(0, next - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.store.advance();
    }, ms);
    this.timer.unref();
  }

  /** Configurations that cover the run's workspace: its own, and its project's. */
  private configurationsFor(run: RunRecord): NotificationConfigurationRecord[] {
    const ws = this.store.workspaces.get(run.workspaceId);
    if (ws === undefined) return [];
    return [...this.store.notificationConfigurations.values()].filter(
      (nc) =>
        (nc.subscribable.type === 'workspaces' && nc.subscribable.id === ws.id) ||
        (nc.subscribable.type === 'projects' && nc.subscribable.id === ws.projectId),
    );
  }

  private notify(run: RunRecord, status: FakeRunStatus, at: number): void {
    // notification-configurations.mdx: "Speculative plans … do not support notifications".
    if (run.planOnly) return;
    const info = triggerOf(status);
    if (info === undefined) return;
    for (const nc of this.configurationsFor(run)) {
      if (!nc.enabled || nc.destinationType !== 'generic' || nc.url === null) continue;
      const wanted = nc.triggers.includes(info.trigger) || nc.triggers.includes(info.triggerType ?? '');
      if (!wanted) continue;
      const body = JSON.stringify(this.payload(nc, run, status, at, info));
      const intent: FakeNotificationIntent = {
        configurationId: nc.id,
        url: nc.url,
        trigger: info.trigger,
        runId: run.id,
        runStatus: status,
        workspaceName: run.workspaceName,
      };
      if (this.drop?.(intent) === true) {
        this.deliveries.push({
          ...intent,
          body,
          signature: undefined,
          status: undefined,
          error: undefined,
          dropped: true,
          at,
          sentAt: undefined,
          settledAt: Date.now(),
        });
        continue;
      }
      const send = (): void => {
        const sending = this.post(nc, body, intent, at).then(() => undefined);
        this.inFlight.add(sending);
        void sending.finally(() => this.inFlight.delete(sending));
      };
      const delayMs = this.options.delayMs ?? 0;
      if (delayMs <= 0) {
        send();
        continue;
      }
      const delay = setTimeout(() => {
        this.delays.delete(delay);
        send();
      }, delayMs);
      this.delays.add(delay);
    }
  }

  /** "Run Notification Payload", field by field. */
  private payload(
    nc: NotificationConfigurationRecord,
    run: RunRecord,
    status: FakeRunStatus,
    at: number,
    info: TriggerInfo,
  ): Record<string, unknown> {
    const org = this.store.organization;
    return {
      payload_version: 1,
      notification_configuration_id: nc.id,
      run_url: `${this.store.baseUrl}/app/${org}/${run.workspaceName}/runs/${run.id}`,
      run_id: run.id,
      run_message: run.message,
      run_created_at: isoTime(run.createdAt),
      run_created_by: USERNAME,
      workspace_id: run.workspaceId,
      workspace_name: run.workspaceName,
      organization_name: org,
      notifications: [
        {
          message: info.message,
          trigger: info.trigger,
          ...(info.triggerType === undefined ? {} : { trigger_type: info.triggerType }),
          run_status: status,
          run_updated_at: isoTime(at),
          run_updated_by: USERNAME,
        },
      ],
    };
  }

  /** One POST, no retry; the answer (or its absence) is recorded. */
  private async post(
    nc: NotificationConfigurationRecord,
    body: string,
    intent: FakeNotificationIntent,
    at: number,
  ): Promise<Outcome | undefined> {
    const signature = nc.token === null || nc.token === '' ? undefined : sign(nc.token, body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== undefined) headers[SIGNATURE_HEADER] = signature;
    const timeout = this.options.timeoutMs ?? 10_000;
    const sentAt = this.store.now();
    let outcome: Outcome;
    try {
      const res = await request(intent.url, {
        method: 'POST',
        headers,
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      const text = await res.body.text();
      const responseHeaders: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) responseHeaders[name.toLowerCase()] = Array.isArray(value) ? value : [value];
      }
      outcome = {
        status: res.statusCode,
        error: undefined,
        response: {
          url: intent.url,
          body: text.slice(0, MAX_RESPONSE_BODY),
          code: String(res.statusCode),
          headers: responseHeaders,
          sentAt,
          successful: res.statusCode >= 200 && res.statusCode < 300,
        },
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = {
        status: undefined,
        error: message,
        response: { url: intent.url, body: '', code: '', headers: {}, sentAt, successful: false },
      };
    }
    nc.deliveryResponses = [outcome.response];
    this.deliveries.push({
      ...intent,
      body,
      signature,
      status: outcome.status,
      error: outcome.error,
      dropped: false,
      at,
      sentAt,
      settledAt: Date.now(),
    });
    return outcome;
  }
}
