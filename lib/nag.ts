import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Helpers for cdk-nag acknowledgements. A finding id names the exact permission it covers, so an
 * acknowledgement never hides a different, later finding of the same rule on the same resource.
 */

/** An acknowledged rule and why it does not apply here. */
export interface NagAcknowledgement {
  /** Rule id, with the finding for IAM4/IAM5: `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** Why the rule does not apply: specific to this resource, never generic. */
  readonly reason: string;
}

/** Records the acknowledgements on `scope`; cdk-nag honours them for `scope` and everything below it. */
export function acknowledge(scope: IConstruct, ...acknowledgements: NagAcknowledgement[]): void {
  Validations.of(scope).acknowledge(...acknowledgements);
}

/** Finding id of an AWS managed policy attached to a role (rule IAM4). */
export function managedPolicyFinding(policyName: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`;
}

/** Finding id of a wildcard action (rule IAM5), e.g. `kms:GenerateDataKey*`. */
export function wildcardActionFinding(action: string): string {
  return `AwsSolutions-IAM5[Action::${action}]`;
}

/**
 * Finding id of a wildcard resource (rule IAM5). `resource` may hold tokens (`${table.tableArn}/index/*`):
 * it is resolved and flattened the way cdk-nag prints it (`<TenantsTable1234.Arn>/index/*`), so the id
 * follows the construct wherever it is embedded.
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

/** Mirrors cdk-nag's own flattening of CloudFormation intrinsics into finding ids. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const fn = node as Record<string, unknown>;
    if (Array.isArray(fn['Fn::Join'])) {
      const [delimiter, items] = fn['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (fn['Fn::Sub'] !== undefined) return flatten(fn['Fn::Sub']);
    if (Array.isArray(fn['Fn::GetAtt'])) {
      const [resource, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (fn['Fn::ImportValue'] !== undefined) return flatten(fn['Fn::ImportValue']);
    if (fn.Ref !== undefined) return `<${flatten(fn.Ref)}>`;
  }
  return JSON.stringify(node);
}
