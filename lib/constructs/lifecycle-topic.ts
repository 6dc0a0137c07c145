import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { LIFECYCLE_EVENTS } from '../../lambdas/core/flows';

export interface LifecycleTopicProps {
  /** Key encrypting the messages at rest. */
  readonly encryptionKey: IKey;
}

/**
 * Where finalize publishes `TenantReady`, `TenantFailed` and `TenantDeleted`, with message attributes for
 * subscription filters. KMS-encrypted, TLS-only.
 */
export class LifecycleTopic extends Construct {
  public readonly topic: Topic;

  public constructor(scope: Construct, id: string, props: LifecycleTopicProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: `Tenant lifecycle events (${LIFECYCLE_EVENTS.join(', ')})`,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
  }
}
