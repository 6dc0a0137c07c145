import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface DeadLetterQueueProps {
  /** What lands in the queue, for the description and the acknowledgement. */
  readonly purpose: string;
  /**
   * How long undelivered events are kept for inspection and redrive.
   * @default Duration.days(14)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * The dead-letter queue of an EventBridge target: encrypted at rest with SQS-managed keys (SSE-SQS), which
 * EventBridge can write to without a grant on a KMS key, and TLS-only. The messages are request events
 * (tenant code, flowId, requester, time): no secrets.
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: Queue;

  public constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    acknowledge(this.queue, {
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter queue (${props.purpose}); cdk-nag only recognises SQS redrive and Lambda DLQ references, not EventBridge target DeadLetterConfig.`,
    });
  }
}
