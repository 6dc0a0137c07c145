import { App } from 'aws-cdk-lib';
import { ContextConfigError } from '../lib/config';
import { buildControlPlaneApp } from '../lib/control-plane-app';

/** The CDK app: one control plane stack per environment, configured through context, checked by cdk-nag. */
const app = new App();
try {
  buildControlPlaneApp(app);
} catch (error) {
  if (!(error instanceof ContextConfigError)) throw error;
  console.error(
    `${error.message}\nSet them in cdk.json "context" or with -c key=value (see docs/deploy.md).`,
  );
  process.exit(1);
}
