import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface GeneratedSecretProps {
  /** What the secret holds and how its value is set. */
  readonly description: string;
  /** Key encrypting the secret. */
  readonly encryptionKey: IKey;
  /** Characters of the value generated at deploy (letters and digits). */
  readonly length: number;
  /** Why Secrets Manager cannot rotate the value, and how it is rotated instead (cdk-nag AwsSolutions-SMG4). */
  readonly rotation: string;
}

/**
 * A secret whose value is generated at deploy (letters and digits), so none is ever in code, context or
 * templates, and whose rotation is done outside Secrets Manager.
 */
export function generatedSecret(scope: Construct, id: string, props: GeneratedSecretProps): Secret {
  const secret = new Secret(scope, id, {
    description: props.description,
    encryptionKey: props.encryptionKey,
    generateSecretString: { passwordLength: props.length, excludePunctuation: true },
  });
  acknowledge(secret, { id: 'AwsSolutions-SMG4', reason: props.rotation });
  return secret;
}
