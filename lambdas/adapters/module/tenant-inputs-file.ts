import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTenantInputs, TENANT_INPUTS_FILE, type TenantInputs } from '../../core/tenant-inputs';

/**
 * Reads the inputs a tenant may set from the module the control plane deploys
 * (`<moduleDir>/tenant-inputs.json`). A module without the file cannot be deployed: failing at start
 * beats accepting every variable.
 */
export function loadTenantInputs(moduleDir: string): TenantInputs {
  const path = join(moduleDir, TENANT_INPUTS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(`${path} is missing: the module must declare the inputs a tenant may set`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${path} is not valid JSON`, { cause });
  }
  return parseTenantInputs(json, path);
}
