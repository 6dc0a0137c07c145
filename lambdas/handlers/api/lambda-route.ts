import type { Context } from 'aws-lambda';
import type { RouteName } from '../../core/api-routes';
import { parseTenantInputs, type TenantInputs } from '../../core/tenant-inputs';
// The module the trigger uploads (TERRAFORM_MODULE_BUNDLE): its tenant inputs ship inside this bundle.
import awsModuleInputs from '../../../terraform-module/aws/tenant-inputs.json';
import { logger } from '../../shared/observability';
import type { ApiEvent, ApiResult } from './http';
import type { TenantApi } from './tenant-api';

/** The inputs a tenant may set: those of the module this control plane deploys. */
export function moduleTenantInputs(): TenantInputs {
  return parseTenantInputs(awsModuleInputs, 'terraform-module/aws/tenant-inputs.json');
}

/** A route as a Lambda handler: the invocation's context on every log line and for idempotency. */
export function lambdaHandler(api: TenantApi, name: RouteName) {
  return (event: ApiEvent, context: Context): Promise<ApiResult> => {
    logger.addContext(context);
    api.registerContext(context);
    return api[name](event);
  };
}
