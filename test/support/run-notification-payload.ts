/**
 * Run notification payloads and signatures as HCP Terraform sends them, for tests that play TFC's part.
 * Source: hashicorp/terraform-docs-common `website/docs/cloud-docs/api-docs/notification-configurations.mdx`
 * ("Notification Payload": `payload_version` 1, every field; "Notification Authenticity": the hex
 * HMAC-SHA512 of the body keyed with the configuration's token). Built here with node:crypto and plain
 * objects, independently of the product's own builder and verifier, so a test of either can fail.
 */
import { createHmac } from 'node:crypto';

/** One entry of `notifications[]`. */
export interface NotificationEventFields {
  message: string | null;
  trigger: string;
  run_status: string | null;
  run_updated_at: string | null;
  run_updated_by: string | null;
}

/** The generic payload, `payload_version` 1, every documented field. */
export interface RunNotificationPayloadFields {
  payload_version: 1;
  notification_configuration_id: string;
  run_url: string | null;
  run_id: string | null;
  run_message: string | null;
  run_created_at: string | null;
  run_created_by: string | null;
  workspace_id: string | null;
  workspace_name: string | null;
  organization_name: string | null;
  notifications: NotificationEventFields[];
}

/** Top-level fields to change, and fields of the one notification event (`event`). */
export type PayloadOverrides = Partial<
  Omit<RunNotificationPayloadFields, 'payload_version' | 'notifications'>
> & {
  event?: Partial<NotificationEventFields>;
};

/**
 * A run event's payload: by default `run:completed` of an applied run in workspace `tenant-dev-acme`,
 * with one notification; `overrides` change any field.
 */
export function runNotificationPayload(overrides: PayloadOverrides = {}): RunNotificationPayloadFields {
  const { event, ...fields } = overrides;
  return {
    payload_version: 1,
    notification_configuration_id: 'nc-1',
    run_url: 'https://app.terraform.io/app/acme/tenant-dev-acme/runs/run-1',
    run_id: 'run-1',
    run_message: 'Triggered by the tenant control plane',
    run_created_at: '2026-12-02T06:55:00.000Z',
    run_created_by: 'owner',
    workspace_id: 'ws-1',
    workspace_name: 'tenant-dev-acme',
    organization_name: 'acme',
    ...fields,
    notifications: [
      {
        message: 'Run Applied',
        trigger: 'run:completed',
        run_status: 'applied',
        run_updated_at: '2026-12-02T06:59:59.000Z',
        run_updated_by: null,
        ...event,
      },
    ],
  };
}

/**
 * The verification request ("Send a test"): every run and workspace field `null`, one notification whose
 * trigger is `verification` and whose message is "Verification of <configuration name>".
 */
export function verificationPayload(
  configurationId = 'nc-1',
  configurationName = 'tenants',
): RunNotificationPayloadFields {
  return runNotificationPayload({
    notification_configuration_id: configurationId,
    run_url: null,
    run_id: null,
    run_message: null,
    run_created_at: null,
    run_created_by: null,
    workspace_id: null,
    workspace_name: null,
    organization_name: null,
    event: {
      message: `Verification of ${configurationName}`,
      trigger: 'verification',
      run_status: null,
      run_updated_at: null,
      run_updated_by: null,
    },
  });
}

/** The `X-TFE-Notification-Signature` value of `body` under `token`: hex HMAC-SHA512 of the raw bytes. */
export function signed(body: string | Buffer, token: string): string {
  return createHmac('sha512', token).update(body).digest('hex');
}
