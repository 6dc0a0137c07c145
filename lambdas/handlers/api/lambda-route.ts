import type { RouteName } from '../../core/api-routes';
import { parseTenantInputs, type TenantInputs } from '../../core/tenant-inputs';
// The module the trigger uploads (TERRAFORM_MODULE_BUNDLE): its tenant inputs ship inside this bundle.
import awsModuleInputs from '../../../terraform-module/aws/tenant-inputs.json';
import { lambdaHandler } from '../../shared/middleware';
import { withLogContext } from '../../shared/observability';
import type { ApiEvent, ApiResult } from './http';
import type { TenantApi } from './tenant-api';

/** The inputs a tenant may set: those of the module this control plane deploys. */
export function moduleTenantInputs(): TenantInputs {
  return parseTenantInputs(awsModuleInputs, 'terraform-module/aws/tenant-inputs.json');
}

/**
 * A route as a Lambda handler (Powertools' middleware): the invocation's context on every log line and
 * for idempotency, and API Gateway's request id on the route's lines.
 */
export function routeLambda(api: TenantApi, name: RouteName) {
  return lambdaHandler((event: ApiEvent, context): Promise<ApiResult> => {
    api.registerContext(context);
    const requestId = event.requestContext?.requestId;
    return withLogContext(requestId ? { requestId } : {}, () => api[name](event));
  });
}
