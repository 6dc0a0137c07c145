import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { TenantControlPlaneStack, type TenantControlPlaneStackProps } from '../../lib';

/** Context that skips asset bundling: handler sources need not exist or compile. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

/**
 * An app for template assertions: no bundling, and without aws-cdk-lib's built-in CloudFormation schema
 * validation (10 s per synth; one test in nag.test.ts runs it).
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...SKIP_BUNDLING, ...context }, builtinCloudFormationValidation: false });
}

export const BASE_PROPS: TenantControlPlaneStackProps = {
  environmentName: 'test',
  tfc: { organization: 'acme' },
};

export interface Synthesized {
  app: App;
  stack: TenantControlPlaneStack;
  template: Template;
}

export function synthStack(props: Partial<TenantControlPlaneStackProps> = {}): Synthesized {
  const app = testApp();
  const stack = new TenantControlPlaneStack(app, 'ControlPlaneTest', { ...BASE_PROPS, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** A resource of a synthesized template, as far as the tests read it. */
export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export function resourcesOfType(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

/** The one resource of `type` with this logical id. */
export function resource(template: Template, type: string, id: string): CfnResource {
  const found = resourcesOfType(template, type)[id];
  if (!found) throw new Error(`no ${type} ${id}`);
  return found;
}

/** Logical id of an L2 construct's CloudFormation resource (or of an L1 itself). */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).resolve(element.logicalId) as string;
}

export const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
export const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });

export interface PolicyStatementJson {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
  Principal?: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of the inline policies attached to `role`. */
export function roleStatements(template: Template, role: IConstruct): PolicyStatementJson[] {
  const id = logicalId(role);
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: id })),
    )
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement);
}

export function actionsOf(statements: PolicyStatementJson[]): string[] {
  return [...new Set(statements.flatMap((s) => list(s.Action)))].sort();
}

/** Resources of the statements granting `action`. */
export function resourcesFor(statements: PolicyStatementJson[], action: string): unknown[] {
  return statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
}

/** What a role's inline policies grant, read the way the tests ask it. */
export interface Grants {
  statements: PolicyStatementJson[];
  /** Every action granted, once each, sorted. */
  actions: string[];
  /** Resources of the statements granting `action`. */
  resourcesFor(action: string): unknown[];
}

export function grantsOf(template: Template, role: IConstruct): Grants {
  const statements = roleStatements(template, role);
  return {
    statements,
    actions: actionsOf(statements),
    resourcesFor: (action) => resourcesFor(statements, action),
  };
}

export { list };
