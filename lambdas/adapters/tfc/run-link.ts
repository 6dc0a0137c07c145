import type { RunLink } from '../../core/tenant';
import { workspaceName } from '../../core/workspace';

/**
 * The TFC UI page of a tenant's run, `<address>/app/<organization>/workspaces/<workspace>/runs/<run id>`:
 * the page the backend's own failure reasons point at, with the plan and apply logs.
 */
export function tfcRunLink(options: { address: string; organization: string; environment: string }): RunLink {
  const base = options.address.replace(/\/+$/, '');
  return (tenantCode, runId) =>
    `${base}/app/${encodeURIComponent(options.organization)}/workspaces/${workspaceName(options.environment, tenantCode)}/runs/${encodeURIComponent(runId)}`;
}
