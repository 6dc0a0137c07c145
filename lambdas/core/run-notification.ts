import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import type { RunEnd } from './flow-state';
import { classifyRunStatus } from './run-status';

/**
 * Terraform Cloud run notifications: the receiver's route and header, the generic payload, its signature
 * and what a notification means to a waiting flow. Source: hashicorp/terraform-docs-common,
 * `website/docs/cloud-docs/api-docs/notification-configurations.mdx` ("Notification Payload",
 * "Notification Authenticity", "Notification Verification and Delivery Responses").
 */

/** The receiver's path on the local server (in AWS the receiver is a function URL's root). */
export const RUN_NOTIFICATION_PATH = '/tfc/notifications';

/** Hex HMAC-SHA512 of the raw body, keyed with the configuration's token (notification-configurations.mdx). */
export const NOTIFICATION_SIGNATURE_HEADER = 'x-tfe-notification-signature';

/**
 * The largest body the receiver reads. A run notification is about 1 KiB (the documented sample is 600
 * bytes; `run_message` is a commit message at most); anything far larger is not from TFC.
 */
export const MAX_NOTIFICATION_BODY_BYTES = 64 * 1024;

/** The triggers a run's end arrives with (notification-configurations.mdx, "Notification Triggers"). */
export const RUN_END_TRIGGERS = ['run:completed', 'run:errored', 'run:needs_attention'] as const;
export type RunEndTrigger = (typeof RUN_END_TRIGGERS)[number];

/**
 * The trigger of the request TFC sends when a configuration is enabled or verified. The docs say a
 * verification request is sent and must be answered 2xx, not what it holds: captured deliveries show the
 * run payload with every run and workspace field `null` and one notification whose trigger is
 * `verification` (its message "Verification of <configuration name>").
 */
export const VERIFICATION_TRIGGER = 'verification';

/** One event of a notification (`notifications[]`): always one today, more if TFC ever rolls them up. */
export const NotificationEventSchema = z.object({
  message: z.string().nullable(),
  trigger: z.string().min(1),
  run_status: z.string().nullable(),
  run_updated_at: z.string().nullable(),
  run_updated_by: z.string().nullable(),
});
export type NotificationEvent = z.infer<typeof NotificationEventSchema>;

/**
 * The generic run notification payload (`payload_version` 1), every documented field. Fields TFC leaves
 * `null` (the verification request, `run_updated_by` of a run nobody touched) are nullable; a run's own
 * notification must name its run and workspace. Unknown fields are dropped, so fields TFC adds later are
 * harmless.
 */
export const RunNotificationPayloadSchema = z
  .object({
    payload_version: z.literal(1),
    notification_configuration_id: z.string().min(1),
    run_url: z.string().nullable(),
    run_id: z.string().nullable(),
    run_message: z.string().nullable(),
    run_created_at: z.string().nullable(),
    run_created_by: z.string().nullable(),
    workspace_id: z.string().nullable(),
    workspace_name: z.string().nullable(),
    organization_name: z.string().nullable(),
    notifications: z.array(NotificationEventSchema).min(1).max(100),
  })
  .superRefine((payload, ctx) => {
    if (isVerification(payload)) return;
    for (const key of ['run_id', 'workspace_name'] as const) {
      if (!payload[key])
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required for a run event' });
    }
  });
export type RunNotificationPayload = z.infer<typeof RunNotificationPayloadSchema>;

/** Whether the payload is TFC's verification request (no run behind it). */
export function isVerification(payload: Pick<RunNotificationPayload, 'notifications'>): boolean {
  return payload.notifications.some((n) => n.trigger === VERIFICATION_TRIGGER);
}

/** The hex HMAC-SHA512 of `rawBody` keyed with `token`: what TFC puts in the signature header. */
export function signNotification(rawBody: Buffer | string, token: string): string {
  return createHmac('sha512', token).update(rawBody).digest('hex');
}

const HEX_SHA512 = /^[0-9a-f]{128}$/i;

/**
 * Whether `header` is the signature of the raw body under `token` (notification-configurations.mdx,
 * "Notification Authenticity"). The digests are compared in constant time; a missing, wrong-length or
 * non-hex header is false, never an exception.
 */
export function verifySignature(rawBody: Buffer, header: string | undefined, token: string): boolean {
  if (typeof header !== 'string' || !HEX_SHA512.test(header.trim())) return false;
  const given = Buffer.from(header.trim(), 'hex');
  const expected = createHmac('sha512', token).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The event that says where the run is now: the last one (TFC lists them in the order they happened). */
export function latestEvent(payload: RunNotificationPayload): NotificationEvent | undefined {
  return payload.notifications.at(-1);
}

/**
 * What a run notification tells a waiting flow, learned at `at`: `run:needs_attention` is a run that waits
 * for a person; otherwise the run's status is classified like the flow's own read of it. A run still
 * running (a trigger the control plane did not ask for, a status TFC adds later) wakes nothing: undefined.
 */
export function runEndOf(payload: RunNotificationPayload, at: string): RunEnd | undefined {
  const event = latestEvent(payload);
  if (!payload.run_id || !event || event.trigger === VERIFICATION_TRIGGER) return undefined;
  const runStatus = event.run_status ?? '';
  const base = { runId: payload.run_id, runStatus, via: 'notification', at } as const;
  if (event.trigger === 'run:needs_attention') return { ...base, outcome: 'needs-attention' };
  const outcome = classifyRunStatus(runStatus);
  return outcome === 'running' ? undefined : { ...base, outcome };
}

/**
 * A signed payload as TFC sends it for a run event (the local Terraform runner notifies this way, and
 * tests): every documented field, one notification.
 */
export function runNotificationPayload(run: {
  configurationId: string;
  runId: string;
  runUrl: string;
  workspaceId: string;
  workspaceName: string;
  organizationName: string;
  trigger: string;
  runStatus: string;
  message: string;
  createdAt: string;
  updatedAt: string;
  runMessage?: string;
}): RunNotificationPayload {
  return {
    payload_version: 1,
    notification_configuration_id: run.configurationId,
    run_url: run.runUrl,
    run_id: run.runId,
    run_message: run.runMessage ?? 'Triggered by the tenant control plane',
    run_created_at: run.createdAt,
    run_created_by: null,
    workspace_id: run.workspaceId,
    workspace_name: run.workspaceName,
    organization_name: run.organizationName,
    notifications: [
      {
        message: run.message,
        trigger: run.trigger,
        run_status: run.runStatus,
        run_updated_at: run.updatedAt,
        run_updated_by: null,
      },
    ],
  };
}
