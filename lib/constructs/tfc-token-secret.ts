import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { generatedSecret, type GeneratedSecretProps } from './generated-secret';

export type TfcTokenSecretProps = Pick<GeneratedSecretProps, 'encryptionKey'>;

/**
 * The Terraform Cloud API token. The stack creates the secret with a random placeholder; the operator sets
 * the real token (`aws secretsmanager put-secret-value`), so no token is ever in code, context or templates.
 */
export class TfcTokenSecret extends Construct {
  public readonly secret: Secret;

  public constructor(scope: Construct, id: string, props: TfcTokenSecretProps) {
    super(scope, id);
    this.secret = generatedSecret(this, 'Secret', {
      description:
        'Terraform Cloud API token of the tenant control plane (a team token). Set the value with aws secretsmanager put-secret-value.',
      encryptionKey: props.encryptionKey,
      length: 32,
      rotation:
        'The value is a Terraform Cloud API token, issued by Terraform Cloud: Secrets Manager cannot rotate it. Operators rotate it in TFC and put the new value here; the functions cache it for minutes only.',
    });
  }
}
