import type { RunEnd } from '../core/flow-state';
import { silentLog, type Clock, type FlowWaker, type OpsLog, type TenantRepository } from '../core/ports';
import {
  isVerification,
  latestEvent,
  MAX_NOTIFICATION_BODY_BYTES,
  runEndOf,
  RunNotificationPayloadSchema,
  verifySignature,
} from '../core/run-notification';
import { tenantCodeOfWorkspace } from '../core/workspace';

/** A notification as it arrived: the raw body (never parsed before its signature is checked) and header. */
export interface NotificationRequest {
  body: Buffer;
  /** The `X-TFE-Notification-Signature` header, if any. */
  signature?: string;
}

/** The answer: a status and a JSON body (TFC keeps it in the configuration's delivery responses). */
export interface NotificationAnswer {
  statusCode: number;
  body: string;
}

/** What the receiver did with a notification whose signature was good. */
export type NotificationOutcome =
  'verified' | 'woken' | 'already-woken' | 'ignored-workspace' | 'ignored-run' | 'ignored-running';

/** Why a notification was refused before it was read. */
export type SignatureRejection = 'missing-signature' | 'bad-signature';

export interface RunNotificationsDeps {
  /** The run waiters: the only way from a notification to a tenant and its flow. */
  repository: Pick<TenantRepository, 'getRunWaiter'>;
  waker: FlowWaker;
  /** The HMAC token of the notification configurations (cached by the provider; never logged). */
  token: () => Promise<string>;
  /** This deployment's environment: only its `tenant-<environment>-<code>` workspaces are ours. */
  environment: string;
  clock: Clock;
  log?: OpsLog;
  /** Called once per refused signature, for the alarm's metric. */
  onSignatureRejected?: (reason: SignatureRejection) => void;
  /** @default MAX_NOTIFICATION_BODY_BYTES */
  maxBodyBytes?: number;
}

/**
 * The receiver of Terraform Cloud run notifications (DESIGN.md, "Event-driven completion"). In order: a body
 * over the cap is refused unread; a missing or wrong signature is refused (401) before the body is parsed;
 * then the payload must match the documented schema (400). TFC's verification request is answered 200. A
 * run event wakes a flow only when the tenant of its workspace (this environment's name pattern) has a flow
 * waiting for exactly that run id: the payload never chooses a tenant or flow except through a run id the
 * table maps. Anything else is answered 200 and changes nothing. A repeated delivery is harmless: a token
 * wakes once.
 */
export class RunNotifications {
  private readonly log: OpsLog;
  private readonly maxBodyBytes: number;

  public constructor(private readonly deps: RunNotificationsDeps) {
    this.log = deps.log ?? silentLog;
    this.maxBodyBytes = deps.maxBodyBytes ?? MAX_NOTIFICATION_BODY_BYTES;
  }

  public async receive(request: NotificationRequest): Promise<NotificationAnswer> {
    if (request.body.length > this.maxBodyBytes) {
      this.log.warn('run notification refused', { outcome: 'too-large', bytes: request.body.length });
      return refuse(400, 'PAYLOAD_TOO_LARGE', `the body is larger than ${this.maxBodyBytes} bytes`);
    }
    if (!request.signature) return this.rejectSignature('missing-signature');
    let token: string;
    try {
      token = await this.deps.token();
    } catch (error) {
      this.log.warn('run notification not handled: the HMAC token is unavailable', {
        error: describe(error),
      });
      return refuse(503, 'UNAVAILABLE', 'the receiver cannot verify notifications right now');
    }
    if (!verifySignature(request.body, request.signature, token))
      return this.rejectSignature('bad-signature');

    let json: unknown;
    try {
      json = JSON.parse(request.body.toString('utf8'));
    } catch {
      this.log.warn('run notification refused', { outcome: 'malformed' });
      return refuse(400, 'INVALID_JSON', 'the body is not JSON');
    }
    const parsed = RunNotificationPayloadSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      this.log.warn('run notification refused', { outcome: 'malformed', issues });
      return answer(400, {
        error: {
          code: 'VALIDATION_ERROR',
          message: 'the body is not a Terraform Cloud run notification',
          issues,
        },
      });
    }
    const payload = parsed.data;
    if (isVerification(payload)) {
      this.log.info('run notification', {
        outcome: 'verified',
        configurationId: payload.notification_configuration_id,
      });
      return ok('verified');
    }

    const runId = payload.run_id ?? '';
    const trigger = latestEvent(payload)?.trigger;
    const tenantCode = tenantCodeOfWorkspace(this.deps.environment, payload.workspace_name ?? '');
    if (!tenantCode) {
      this.decided('ignored-workspace', { runId, trigger, workspaceName: payload.workspace_name });
      return ok('ignored', 'not a tenant workspace of this environment');
    }
    const decision = { tenantCode, runId, trigger };
    try {
      const waiter = await this.deps.repository.getRunWaiter(tenantCode);
      // A run the control plane did not start, one whose flow moved on, or a replayed body: nothing waits.
      if (!waiter || waiter.runId !== runId) {
        this.decided('ignored-run', decision);
        return ok('ignored', 'no flow waits for this run');
      }
      const end: RunEnd | undefined = runEndOf(payload, this.deps.clock.now().toISOString());
      if (!end) {
        this.decided('ignored-running', { ...decision, runStatus: latestEvent(payload)?.run_status });
        return ok('ignored', 'the run has not ended');
      }
      const woken = await this.deps.waker.wake(waiter.taskToken, end);
      const outcome = woken ? 'woken' : 'already-woken';
      this.decided(outcome, {
        ...decision,
        flowId: waiter.flowId,
        runStatus: end.runStatus,
        end: end.outcome,
      });
      return ok(outcome);
    } catch (error) {
      // TFC does not redeliver: the flow's own polling finishes it. Answered as a fault, not the caller's.
      this.log.warn('run notification not handled', { ...decision, error: describe(error) });
      return refuse(503, 'UNAVAILABLE', 'the notification could not be handled right now');
    }
  }

  private rejectSignature(reason: SignatureRejection): NotificationAnswer {
    this.deps.onSignatureRejected?.(reason);
    this.log.warn('run notification refused', { outcome: reason });
    return reason === 'missing-signature'
      ? refuse(401, 'MISSING_SIGNATURE', 'the X-TFE-Notification-Signature header is required')
      : refuse(401, 'INVALID_SIGNATURE', 'the signature does not match the body');
  }

  private decided(outcome: NotificationOutcome, attributes: Record<string, unknown>): void {
    this.log.info('run notification', { ...attributes, outcome });
  }
}

function answer(statusCode: number, body: unknown): NotificationAnswer {
  return { statusCode, body: JSON.stringify(body) };
}

function ok(status: string, reason?: string): NotificationAnswer {
  return answer(200, reason ? { status, reason } : { status });
}

function refuse(statusCode: number, code: string, message: string): NotificationAnswer {
  return answer(statusCode, { error: { code, message } });
}

/** An error's name and message only: never a stack or a cause that could hold a request's content. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
