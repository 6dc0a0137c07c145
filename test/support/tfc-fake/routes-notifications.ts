/**
 * Notification configurations API: hashicorp/terraform-docs-common
 * `api-docs/notification-configurations.mdx` (workspace configurations: create, list, show, update,
 * verify, delete) and hashicorp/web-unified-docs `api-docs/notification-configurations/project.mdx`
 * (`POST`/`GET /projects/:project_id/notification-configurations`; show, update, verify and delete are
 * the same `/notification-configurations/:id` endpoints). Checked against go-tfe
 * `notification_configuration.go`.
 *
 * - Create and update with `enabled: true` send a verification request first; "If this request receives
 *   no response or the response is not successful (HTTP 2xx), the configuration will not save": 400
 *   "Unable to complete verification request to destination URL". A disabled one saves unverified.
 * - The verify action sends one (200 with the configuration, 400 when it fails); it is rate limited to 10
 *   per minute (index.mdx "Lower rate limits for some endpoints"; server.ts).
 * - `token` is "write-only": every answer shows `"token": null` (the docs' samples).
 * - "Each workspace can have up to 20 notification configurations"; project.mdx names no limit, the same
 *   20 is assumed. The 422 texts are assumed (the docs document the status only).
 */
import {
  InvalidAttributeError,
  errorReply,
  notFound,
  optionalBoolean,
  optionalString,
  paginate,
  readResource,
  WrongTypeError,
  type Reply,
} from './jsonapi';
import type { NotificationConfigurationRecord } from './records';
import type { HandlerContext, Route } from './router';
import { serializeNotificationConfiguration } from './serializers';

/** notification-configurations.mdx "Request body": `data.type` "Must be notification-configuration(s)". */
const TYPES = new Set(['notification-configuration', 'notification-configurations']);

const DESTINATION_TYPES = new Set(['generic', 'email', 'slack', 'microsoft-teams']);

/** The workspace trigger table, plus project.mdx's finer `trigger_type` values. */
export const KNOWN_TRIGGERS: ReadonlySet<string> = new Set([
  'run:created',
  'run:planning',
  'run:needs_attention',
  'run:applying',
  'run:completed',
  'run:errored',
  'run:pending_apply_approval',
  'run:cost_estimated',
  'run:policy_override_required',
  'run:policies_checked',
  'run:run_errored',
  'run:run_canceled',
  'run:policy_soft_failed',
  'assessment:drifted',
  'assessment:check_failure',
  'assessment:failed',
  'workspace:auto_destroy_reminder',
  'workspace:auto_destroy_run_results',
  'workspace:deleted',
]);

/** "Each workspace can have up to 20 notification configurations". */
export const MAX_CONFIGURATIONS = 20;

const VERIFICATION_FAILED = 'Unable to complete verification request to destination URL';

function readNotificationResource(body: unknown): ReturnType<typeof readResource> {
  const resource = readResource(body);
  if (resource.type === undefined) {
    throw new InvalidAttributeError(
      '/data/type',
      'data.type is required and must be "notification-configurations"',
    );
  }
  if (!TYPES.has(resource.type)) throw new WrongTypeError('notification-configurations');
  return resource;
}

function readTriggers(attrs: Record<string, unknown>): string[] | undefined {
  const value = attrs.triggers;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string')) {
    throw new InvalidAttributeError('/data/attributes/triggers', 'triggers must be an array of strings');
  }
  const triggers = value as string[];
  const unknown = triggers.find((t) => !KNOWN_TRIGGERS.has(t));
  if (unknown !== undefined) {
    throw new InvalidAttributeError(
      '/data/attributes/triggers',
      `Triggers "${unknown}" is not a valid trigger`,
    );
  }
  return [...new Set(triggers)];
}

function readToken(attrs: Record<string, unknown>): string | null | undefined {
  if (!('token' in attrs)) return undefined;
  const value = attrs.token;
  if (value === null) return null;
  if (typeof value !== 'string')
    throw new InvalidAttributeError('/data/attributes/token', 'token must be a string');
  return value === '' ? null : value;
}

/** "HTTP or HTTPS URL to which notification requests will be made". */
function checkUrl(destinationType: string, url: string | null): void {
  if (destinationType === 'email') return;
  if (url === null || url === '')
    throw new InvalidAttributeError('/data/attributes/url', "Url can't be blank");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidAttributeError('/data/attributes/url', 'Url is invalid');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidAttributeError('/data/attributes/url', 'Url is invalid');
  }
}

function checkName(name: string | undefined): string {
  if (name === undefined || name.trim() === '') {
    throw new InvalidAttributeError('/data/attributes/name', "Name can't be blank");
  }
  return name;
}

function show(nc: NotificationConfigurationRecord, status = 200): Reply {
  return { status, body: { data: serializeNotificationConfiguration(nc) } };
}

/** The workspace or project a path names, or undefined when it does not exist (or is hidden). */
function subscribableOf(
  ctx: HandlerContext,
  type: 'workspaces' | 'projects',
): NotificationConfigurationRecord['subscribable'] | undefined {
  if (type === 'workspaces') {
    const ws = ctx.store.workspaces.get(ctx.params.id ?? '');
    return ctx.store.visible(ws, ctx.token) ? { type, id: ws.id } : undefined;
  }
  const project = ctx.store.projects.get(ctx.params.projectId ?? '');
  return project === undefined ? undefined : { type, id: project.id };
}

/** The configuration named by `:ncId`, if it and what it is subscribed to still exist for this token. */
function findConfiguration(ctx: HandlerContext): NotificationConfigurationRecord | undefined {
  const nc = ctx.store.notificationConfigurations.get(ctx.params.ncId ?? '');
  if (nc === undefined) return undefined;
  if (nc.subscribable.type === 'workspaces') {
    const ws = ctx.store.workspaces.get(nc.subscribable.id);
    return ctx.store.visible(ws, ctx.token) ? nc : undefined;
  }
  return ctx.store.projects.has(nc.subscribable.id) ? nc : undefined;
}

function configurationsOf(
  ctx: HandlerContext,
  subscribable: NotificationConfigurationRecord['subscribable'],
): NotificationConfigurationRecord[] {
  return [...ctx.store.notificationConfigurations.values()].filter(
    (nc) => nc.subscribable.type === subscribable.type && nc.subscribable.id === subscribable.id,
  );
}

async function createConfiguration(ctx: HandlerContext, type: 'workspaces' | 'projects'): Promise<Reply> {
  const subscribable = subscribableOf(ctx, type);
  if (subscribable === undefined) return notFound();
  const { attributes } = readNotificationResource(ctx.body);
  const destinationType = optionalString(attributes, 'destination-type');
  if (destinationType === undefined || !DESTINATION_TYPES.has(destinationType)) {
    throw new InvalidAttributeError(
      '/data/attributes/destination-type',
      destinationType === undefined
        ? "Destination type can't be blank"
        : 'Destination type is not included in the list',
    );
  }
  const name = checkName(optionalString(attributes, 'name'));
  const url = optionalString(attributes, 'url') ?? null;
  checkUrl(destinationType, url);
  const enabled = optionalBoolean(attributes, 'enabled') ?? false;
  const triggers = readTriggers(attributes) ?? [];
  const token = readToken(attributes) ?? null;
  if (configurationsOf(ctx, subscribable).length >= MAX_CONFIGURATIONS) {
    throw new InvalidAttributeError(
      '/data',
      `Notification configurations are limited to ${MAX_CONFIGURATIONS} per ${type === 'workspaces' ? 'workspace' : 'project'}`,
    );
  }
  const now = ctx.store.now();
  const nc: NotificationConfigurationRecord = {
    id: ctx.store.ids.next('nc'),
    subscribable,
    name,
    destinationType: destinationType as NotificationConfigurationRecord['destinationType'],
    url,
    token,
    triggers,
    enabled,
    deliveryResponses: [],
    createdAt: now,
    updatedAt: now,
  };
  // "If `enabled` is set to `true`, a verification request will be sent before saving".
  if (enabled && destinationType !== 'email' && !(await ctx.notifications.verify(nc))) {
    return errorReply(400, 'bad request', VERIFICATION_FAILED);
  }
  ctx.store.notificationConfigurations.set(nc.id, nc);
  return show(nc, 201);
}

function listConfigurations(ctx: HandlerContext, type: 'workspaces' | 'projects'): Reply {
  const subscribable = subscribableOf(ctx, type);
  if (subscribable === undefined) return notFound();
  const items = configurationsOf(ctx, subscribable);
  const path = `/api/v2/${type}/${subscribable.id}/notification-configurations`;
  const page = paginate(items, ctx.query, ctx.store.baseUrl, path);
  return {
    status: 200,
    body: { data: page.items.map(serializeNotificationConfiguration), links: page.links, meta: page.meta },
  };
}

async function updateConfiguration(ctx: HandlerContext): Promise<Reply> {
  const nc = findConfiguration(ctx);
  if (nc === undefined) return notFound();
  const { attributes } = readNotificationResource(ctx.body);
  const name = optionalString(attributes, 'name');
  if (name !== undefined) checkName(name);
  const url = 'url' in attributes ? (optionalString(attributes, 'url') ?? null) : undefined;
  if (url !== undefined) checkUrl(nc.destinationType, url);
  const token = readToken(attributes);
  const next: NotificationConfigurationRecord = {
    ...nc,
    name: name ?? nc.name,
    url: url === undefined ? nc.url : url,
    enabled: optionalBoolean(attributes, 'enabled') ?? nc.enabled,
    triggers: readTriggers(attributes) ?? nc.triggers,
    token: token === undefined ? nc.token : token,
    updatedAt: ctx.store.now(),
  };
  // "If the `enabled` attribute is true, updating the configuration will cause HCP Terraform to send a
  // verification request"; "If this request fails to send, or the response is not successful (HTTP
  // 2xx), the configuration will not save."
  if (next.enabled && next.destinationType !== 'email') {
    const verified = await ctx.notifications.verify(next);
    nc.deliveryResponses = next.deliveryResponses;
    if (!verified) return errorReply(400, 'bad request', VERIFICATION_FAILED);
  }
  Object.assign(nc, next);
  return show(nc);
}

async function verifyConfiguration(ctx: HandlerContext): Promise<Reply> {
  const nc = findConfiguration(ctx);
  if (nc === undefined) return notFound();
  if (nc.destinationType === 'email') return show(nc);
  return (await ctx.notifications.verify(nc))
    ? show(nc)
    : errorReply(400, 'bad request', VERIFICATION_FAILED);
}

function deleteConfiguration(ctx: HandlerContext): Reply {
  const nc = findConfiguration(ctx);
  if (nc === undefined) return notFound();
  ctx.store.notificationConfigurations.delete(nc.id);
  return { status: 204 };
}

const WORKSPACE_NCS = '/api/v2/workspaces/:id/notification-configurations';
const PROJECT_NCS = '/api/v2/projects/:projectId/notification-configurations';
const NC = '/api/v2/notification-configurations/:ncId';
/** index.mdx "Lower rate limits for some endpoints": 10 per minute (server.ts applies it). */
export const VERIFY_PATH = `${NC}/actions/verify`;

export const notificationRoutes: Route[] = [
  { method: 'POST', path: WORKSPACE_NCS, handler: (ctx) => createConfiguration(ctx, 'workspaces') },
  { method: 'GET', path: WORKSPACE_NCS, handler: (ctx) => listConfigurations(ctx, 'workspaces') },
  { method: 'POST', path: PROJECT_NCS, handler: (ctx) => createConfiguration(ctx, 'projects') },
  { method: 'GET', path: PROJECT_NCS, handler: (ctx) => listConfigurations(ctx, 'projects') },
  {
    method: 'GET',
    path: NC,
    handler: (ctx) => {
      const nc = findConfiguration(ctx);
      return nc === undefined ? notFound() : show(nc);
    },
  },
  { method: 'PATCH', path: NC, handler: updateConfiguration },
  { method: 'DELETE', path: NC, handler: deleteConfiguration },
  { method: 'POST', path: VERIFY_PATH, handler: verifyConfiguration },
];
