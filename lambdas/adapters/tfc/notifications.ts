import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { requestJson, seg, type TfcContext } from './context';
import { TfcApiError, TfcNotFoundError } from './errors';

/**
 * Notification configurations: hashicorp/terraform-docs-common `api-docs/notification-configurations.mdx`
 * (workspace configurations) and hashicorp/web-unified-docs
 * `api-docs/notification-configurations/project.mdx` (project configurations, which "apply to every
 * workspace in the project"; create and list under `/projects/:project_id/notification-configurations`,
 * show, update, verify and delete under `/notification-configurations/:id` for both). go-tfe
 * `notification_configuration.go` is the reference client.
 *
 * Facts the control plane relies on:
 * - The `token` is "write-only": answers show `"token": null`, so a configuration's token can never be
 *   compared with ours (see {@link notificationConfigurationName}).
 * - Saving a configuration with `enabled: true` (create or update) first sends a verification request to
 *   the URL; without a 2xx answer "the configuration will not save" and TFC answers 400.
 * - `POST …/actions/verify` is limited to 10 requests per minute (index.mdx "Lower rate limits for some
 *   endpoints"); the control plane never needs it, since saving an enabled configuration verifies it.
 * - "Each workspace can have up to 20 notification configurations".
 */

/** The run triggers the control plane listens to (notification-configurations.mdx "Notification Triggers"). */
export const RUN_END_TRIGGERS = ['run:completed', 'run:errored', 'run:needs_attention'] as const;

/** Where a configuration is attached: one project (all its workspaces) or one workspace. */
export interface NotificationScope {
  kind: 'projects' | 'workspaces';
  id: string;
}

export interface NotificationConfiguration {
  id: string;
  name: string;
  url: string | null;
  enabled: boolean;
  destinationType: string;
  triggers: readonly string[];
}

export interface NotificationConfigurationInput {
  name: string;
  url: string;
  /** The HMAC key TFC signs each request with (write-only; never logged). */
  token: string;
  triggers: readonly string[];
  enabled: boolean;
}

const NotificationConfigurationResource = z.object({
  id: z.string(),
  attributes: z.object({
    name: z.string(),
    url: z.string().nullish(),
    enabled: z.boolean(),
    'destination-type': z.string(),
    triggers: z.array(z.string()).nullish(),
  }),
});
const NotificationConfigurationDocument = z.object({ data: NotificationConfigurationResource });
const NotificationConfigurationsDocument = z.object({
  data: z.array(NotificationConfigurationResource),
  meta: z.object({ pagination: z.object({ 'next-page': z.number().nullish() }) }).optional(),
});

function toConfiguration(
  resource: z.infer<typeof NotificationConfigurationResource>,
): NotificationConfiguration {
  const { attributes } = resource;
  return {
    id: resource.id,
    name: attributes.name,
    url: attributes.url ?? null,
    enabled: attributes.enabled,
    destinationType: attributes['destination-type'],
    triggers: attributes.triggers ?? [],
  };
}

/** 400 on create/update/verify: "Unable to complete verification request to destination URL". */
export function isVerificationFailure(error: unknown): error is TfcApiError {
  return error instanceof TfcApiError && error.status === 400;
}

/** Notification configurations of projects and workspaces. */
export class NotificationsApi {
  public constructor(private readonly ctx: TfcContext) {}

  /** Every configuration of the project or workspace ("List notification configurations", paginated). */
  public async list(scope: NotificationScope): Promise<NotificationConfiguration[]> {
    const path = `/api/v2/${scope.kind}/${seg(scope.id)}/notification-configurations`;
    const found: NotificationConfiguration[] = [];
    for (let page = 1; ; page += 1) {
      const doc = await requestJson(
        this.ctx,
        { method: 'GET', path, query: { 'page[number]': String(page), 'page[size]': '100' } },
        NotificationConfigurationsDocument,
      );
      found.push(...doc.data.map(toConfiguration));
      const next = doc.meta?.pagination['next-page'];
      if (next === undefined || next === null || next <= page) return found;
    }
  }

  /**
   * A generic configuration ("Create a notification configuration"). An enabled one is verified by TFC
   * before it is saved: 400 ({@link isVerificationFailure}) when the URL does not answer 2xx.
   */
  public async create(
    scope: NotificationScope,
    input: NotificationConfigurationInput,
  ): Promise<NotificationConfiguration> {
    const path = `/api/v2/${scope.kind}/${seg(scope.id)}/notification-configurations`;
    const body = {
      data: {
        type: 'notification-configurations',
        attributes: {
          'destination-type': 'generic',
          name: input.name,
          url: input.url,
          token: input.token,
          triggers: [...input.triggers],
          enabled: input.enabled,
        },
      },
    };
    const doc = await requestJson(
      this.ctx,
      { method: 'POST', path, body },
      NotificationConfigurationDocument,
    );
    return toConfiguration(doc.data);
  }

  /** "Update a notification configuration": only the attributes given change (an enabled one is verified). */
  public async update(
    id: string,
    changes: Partial<NotificationConfigurationInput>,
  ): Promise<NotificationConfiguration> {
    const attributes: Record<string, unknown> = {};
    if (changes.name !== undefined) attributes.name = changes.name;
    if (changes.url !== undefined) attributes.url = changes.url;
    if (changes.token !== undefined) attributes.token = changes.token;
    if (changes.triggers !== undefined) attributes.triggers = [...changes.triggers];
    if (changes.enabled !== undefined) attributes.enabled = changes.enabled;
    const body = { data: { id, type: 'notification-configurations', attributes } };
    const doc = await requestJson(
      this.ctx,
      { method: 'PATCH', path: `/api/v2/notification-configurations/${seg(id)}`, body },
      NotificationConfigurationDocument,
    );
    return toConfiguration(doc.data);
  }

  /** "Verify a notification configuration": TFC sends a verification request now (10 per minute). */
  public async verify(id: string): Promise<NotificationConfiguration> {
    const doc = await requestJson(
      this.ctx,
      {
        method: 'POST',
        path: `/api/v2/notification-configurations/${seg(id)}/actions/verify`,
        idempotent: true,
      },
      NotificationConfigurationDocument,
    );
    return toConfiguration(doc.data);
  }

  /** "Delete a notification configuration"; one already gone counts as deleted. */
  public async delete(id: string): Promise<void> {
    try {
      await this.ctx.http.api({ method: 'DELETE', path: `/api/v2/notification-configurations/${seg(id)}` });
    } catch (error) {
      if (!(error instanceof TfcNotFoundError)) throw error;
    }
  }
}

/** What every configuration the control plane registers is called, before its fingerprint. */
export const NOTIFICATION_CONFIGURATION_PREFIX = 'tenant-control-plane';

/**
 * The name of the configuration for this URL and token: `tenant-control-plane (<fingerprint>)`, the
 * fingerprint being 12 hex characters of an HMAC-SHA256 keyed with the token over the URL. TFC never
 * returns a token, so the name is how the control plane knows that a configuration already carries the
 * current token and URL (no write needed) or an old one (rotate it). The fingerprint reveals nothing of
 * the token.
 */
export function notificationConfigurationName(url: string, token: string): string {
  const fingerprint = createHmac('sha256', token)
    .update(`tenant-control-plane notification configuration\n${url}`)
    .digest('hex')
    .slice(0, 12);
  return `${NOTIFICATION_CONFIGURATION_PREFIX} (${fingerprint})`;
}
