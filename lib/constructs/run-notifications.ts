import { Duration } from 'aws-cdk-lib';
import type { TableBase } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RUN_NOTIFICATION_PATH } from '../../lambdas/core/run-notification';
import { TENANT_TABLE_ACTIONS } from '../../lambdas/core/table-access';
import { TFC_ENV } from '../../lambdas/handlers/contract';
import { NOTIFICATION_ENV } from '../../lambdas/handlers/notifications/contract';
import { ControlPlaneFunction } from './control-plane-function';
import { generatedSecret } from './generated-secret';

/** The receiver's concurrency cap: TFC sends one notification per run end, a few per minute at most. */
export const RECEIVER_RESERVED_CONCURRENCY = 10;

/** Characters of the generated HMAC token (letters and digits: 62^64, far beyond any guess). */
export const NOTIFICATION_TOKEN_LENGTH = 64;

export interface RunNotificationsProps {
  /** The tenant table, where the flows record the run they wait for (read: GetItem only). */
  readonly table: TableBase;
  /** The flows whose waiting tasks a notification may complete (SendTaskSuccess). */
  readonly stateMachines: readonly IStateMachine[];
  /** The deployment environment: only its `tenant-<environment>-<code>` workspaces are the control plane's. */
  readonly environmentName: string;
  /** Key encrypting the HMAC token secret (the key the receiver already decrypts the tenant table with). */
  readonly encryptionKey: IKey;
  /**
   * Concurrent executions reserved for the receiver, and its cap.
   * @default RECEIVER_RESERVED_CONCURRENCY (10)
   */
  readonly reservedConcurrency?: number;
  /**
   * Retention of the receiver's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The receiver of Terraform Cloud run notifications (DESIGN.md, "Event-driven completion"): the one public
 * endpoint of the control plane, a Lambda function URL, and the HMAC token TFC signs each notification with.
 * A notification wakes the flow that waits for its run, through Step Functions' task-token callback.
 *
 * `notificationUrl` is what the trigger function registers at TFC; give the trigger that URL and read access
 * to `tokenSecret`.
 */
export class RunNotifications extends Construct {
  public readonly receiver: ControlPlaneFunction;
  public readonly functionUrl: FunctionUrl;
  /** The HMAC token: a random string generated at deploy, shared with TFC by the trigger function only. */
  public readonly tokenSecret: Secret;
  /** The URL TFC notifies: the function URL with RUN_NOTIFICATION_PATH (the local server's route too). */
  public readonly notificationUrl: string;

  public constructor(scope: Construct, id: string, props: RunNotificationsProps) {
    super(scope, id);

    this.tokenSecret = generatedSecret(this, 'Token', {
      description:
        'HMAC token of the Terraform Cloud run notifications (TFC signs each notification with it; the receiver verifies). Generated at deploy.',
      encryptionKey: props.encryptionKey,
      length: NOTIFICATION_TOKEN_LENGTH,
      rotation:
        'The HMAC token is shared with Terraform Cloud through the notification configuration, which Secrets Manager rotation cannot update. Rotate by putting a new random value: the trigger function re-registers the configuration with it before the next run (its name carries a fingerprint of the token), the receiver reads it within minutes; meanwhile refused notifications only fall back to polling.',
    });

    this.receiver = new ControlPlaneFunction(this, 'Receiver', {
      entry: 'lambdas/handlers/notifications/receiver.ts',
      description: 'Receives Terraform Cloud run notifications and wakes the flow waiting for the run',
      timeout: Duration.seconds(10),
      memorySize: 256,
      reservedConcurrentExecutions: props.reservedConcurrency ?? RECEIVER_RESERVED_CONCURRENCY,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      environment: { [TFC_ENV.environment]: props.environmentName },
    })
      .bindTable(props.table, { actions: TENANT_TABLE_ACTIONS.runNotifications })
      .bindSecret(this.tokenSecret, NOTIFICATION_ENV.tokenSecret);

    // A separate policy, not the role's default one: the function depends on its default policy, the state
    // machines depend on the trigger function, whose environment holds this function's URL. In the default
    // policy the state machines' ARNs would close that loop. Step Functions authorizes SendTaskSuccess
    // against the state machine of the token's execution: the grant names the three flows only.
    new Policy(this, 'WakeFlows', {
      roles: [this.receiver.role],
      statements: [
        new PolicyStatement({
          actions: ['states:SendTaskSuccess'],
          resources: props.stateMachines.map((m) => m.stateMachineArn),
        }),
      ],
    });

    // Authentication NONE: Terraform Cloud calls a plain HTTPS URL and cannot sign with SigV4. Every
    // request is authenticated by its X-TFE-Notification-Signature (HMAC-SHA512 of the body with the
    // token), checked in constant time before the body is parsed; bodies over MAX_NOTIFICATION_BODY_BYTES
    // are refused unread and the reserved concurrency caps what a flood can cost.
    this.functionUrl = this.receiver.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    this.notificationUrl = `${this.functionUrl.url}${RUN_NOTIFICATION_PATH.replace(/^\//, '')}`;
  }
}
