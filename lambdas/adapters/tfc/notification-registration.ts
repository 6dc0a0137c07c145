import type { TfcLogger } from './http';
import { TfcNotFoundError } from './errors';
import {
  isVerificationFailure,
  NOTIFICATION_CONFIGURATION_PREFIX,
  notificationConfigurationName,
  RUN_END_TRIGGERS,
  type NotificationConfiguration,
  type NotificationsApi,
  type NotificationScope,
} from './notifications';

/** Where TFC should send run notifications, and the HMAC key it signs them with. */
export interface NotificationTarget {
  /**
   * The receiver's URL, or a function giving it: undefined while it is not known yet (a local server that
   * does not listen yet), and the run starts without registering.
   */
  url: string | (() => string | undefined);
  /** The HMAC token (Secrets Manager in AWS, a per-process random token locally). Never logged. */
  token: () => Promise<string>;
}

export interface NotificationRegistrationOptions {
  /** The environment's project id (the backend looks it up once per process). */
  projectId: () => Promise<string>;
  logger?: TfcLogger | undefined;
  /** How long a failed registration waits before the next run tries again. @default 60000 */
  retryAfterMs?: number;
  now?: () => number;
}

/**
 * Makes sure TFC notifies the receiver of the end of every run the control plane starts: one generic
 * notification configuration (triggers `run:completed`, `run:errored`, `run:needs_attention`, the
 * receiver's URL, the HMAC token, enabled) on the environment's project, which covers every workspace in it
 * (notification-configurations/project.mdx). Where the project endpoint answers 404 (Terraform Enterprise,
 * or an organization without project notifications), one per workspace instead, before its first run of
 * the process.
 *
 * Looked up once per process (per workspace in the fallback) and written only when needed: the
 * configuration is named after a fingerprint of the URL and token ({@link notificationConfigurationName}),
 * since TFC never returns a token; a configuration of ours with another name (old token or URL), disabled
 * or with other triggers is updated in place, a missing one created, extra ones (instances that raced)
 * deleted. Registration never fails a run: without it the flow's polling fallback finishes the run, so a
 * failure is logged (never the token) and tried again by a run after `retryAfterMs`.
 */
export class NotificationRegistration {
  private mode: NotificationScope['kind'] = 'projects';
  private project: Promise<boolean> | undefined;
  private readonly workspaces = new Map<string, Promise<boolean>>();
  private retryAt = 0;

  public constructor(
    private readonly api: NotificationsApi,
    private readonly target: NotificationTarget,
    private readonly options: NotificationRegistrationOptions,
  ) {}

  /**
   * Before a run starts on the workspace: the configuration covering it exists. Never throws; true when
   * it is known to be registered (the run's end will be notified), false when it could not be (yet).
   */
  public async ensureFor(workspaceId: string): Promise<boolean> {
    if (this.url() === undefined) return false;
    if (this.mode === 'projects') {
      if (this.project === undefined && this.now() < this.retryAt) return false;
      this.project ??= this.attempt(async () => {
        try {
          await this.ensure({ kind: 'projects', id: await this.options.projectId() });
        } catch (error) {
          if (!(error instanceof TfcNotFoundError)) throw error;
          this.mode = 'workspaces';
          this.options.logger?.info(
            'TFC project notification configurations are not available (404): registering one per workspace',
          );
        }
      });
      const done = await this.project;
      if (!done) this.project = undefined;
      if (this.mode === 'projects') return done;
    }
    let registered = this.workspaces.get(workspaceId);
    if (registered === undefined) {
      if (this.now() < this.retryAt) return false;
      registered = this.attempt(() => this.ensure({ kind: 'workspaces', id: workspaceId }));
      this.workspaces.set(workspaceId, registered);
    }
    const done = await registered;
    if (!done) this.workspaces.delete(workspaceId);
    return done;
  }

  /** Runs the registration; false (and logged) when it failed. */
  private async attempt(work: () => Promise<void>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (error) {
      this.retryAt = this.now() + (this.options.retryAfterMs ?? 60_000);
      this.options.logger?.warn('TFC notification configuration not registered: runs finish by polling', {
        reason: isVerificationFailure(error)
          ? 'the receiver did not answer the verification request with a 2xx'
          : error instanceof Error
            ? error.message
            : String(error),
      });
      return false;
    }
  }

  private url(): string | undefined {
    return typeof this.target.url === 'function' ? this.target.url() : this.target.url;
  }

  private async ensure(scope: NotificationScope): Promise<void> {
    const url = this.url();
    if (url === undefined) return;
    const token = await this.target.token();
    const name = notificationConfigurationName(url, token);
    const ours = (await this.api.list(scope)).filter(
      (c) => c.destinationType === 'generic' && c.name.startsWith(NOTIFICATION_CONFIGURATION_PREFIX),
    );
    const current = (c: NotificationConfiguration): boolean =>
      c.name === name && c.url === url && c.enabled && RUN_END_TRIGGERS.every((t) => c.triggers.includes(t));
    const keep = ours.find(current) ?? ours[0];
    const wanted = { name, url, token, triggers: RUN_END_TRIGGERS, enabled: true };
    if (keep === undefined) {
      const created = await this.api.create(scope, wanted);
      this.options.logger?.info('TFC notification configuration created', {
        ...scopeAttrs(scope),
        id: created.id,
        url,
      });
    } else if (!current(keep)) {
      await this.api.update(keep.id, wanted);
      this.options.logger?.info('TFC notification configuration updated', {
        ...scopeAttrs(scope),
        id: keep.id,
        url,
      });
    }
    for (const extra of ours.filter((c) => c !== keep)) await this.api.delete(extra.id);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function scopeAttrs(scope: NotificationScope): Record<string, string> {
  return scope.kind === 'projects' ? { projectId: scope.id } : { workspaceId: scope.id };
}
