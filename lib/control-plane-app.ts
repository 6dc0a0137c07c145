import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { controlPlaneStackProps, readControlPlaneConfig } from './config';
import { TenantControlPlaneStack } from './tenant-control-plane-stack';

/**
 * Composes the deployable app: reads and validates the context (throws `ContextConfigError` naming every
 * bad key), adds one control plane stack named after the environment, and applies the cdk-nag AwsSolutions
 * pack, so any unacknowledged finding fails synthesis. `bin/app.ts` runs it; the infra tests run it too.
 */
export function buildControlPlaneApp(app: App): TenantControlPlaneStack {
  const config = readControlPlaneConfig((key) => app.node.tryGetContext(key) as unknown);
  const stack = new TenantControlPlaneStack(app, `TenantControlPlane-${config.environmentName}`, {
    ...controlPlaneStackProps(config),
    description: `Tenant control plane (${config.environmentName}): private API, flows driving Terraform Cloud`,
    // Looking up an existing VPC needs a concrete account and region; otherwise the stack stays
    // environment-agnostic and synthesizes without credentials.
    ...(config.vpcId
      ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
      : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
