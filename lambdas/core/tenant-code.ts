import * as z from 'zod';
import { ValidationError } from './errors';

/**
 * Lowercase letters, digits and hyphens, starting with a letter, 3–32 characters. The code becomes part
 * of Terraform workspace names and AWS resource names, so it is validated once, here.
 */
export const TENANT_CODE_PATTERN = /^[a-z][a-z0-9-]{2,31}$/;

export const TenantCodeSchema = z
  .string()
  .regex(TENANT_CODE_PATTERN, 'must be 3-32 lowercase letters, digits or hyphens, starting with a letter')
  .brand<'TenantCode'>();

/** A tenant code that has passed validation; only {@link parseTenantCode} and the schema make one. */
export type TenantCode = z.infer<typeof TenantCodeSchema>;

export function parseTenantCode(raw: unknown): TenantCode {
  const result = TenantCodeSchema.safeParse(raw);
  if (!result.success) {
    const message = result.error.issues[0]?.message ?? 'invalid tenant code';
    throw new ValidationError(`invalid tenant code: ${message}`, [{ path: 'tenantCode', message }]);
  }
  return result.data;
}
