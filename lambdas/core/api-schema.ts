import * as z from 'zod';
import { TENANT_STATUSES } from './lifecycle';
import { MODULE_VERSION_PATTERN, MODULE_VERSION_RULE } from './module-version';
import { TIERS } from './tenant';
import { TenantCodeSchema } from './tenant-code';
import { isReserved, RESERVED_VARIABLES } from './workspace';
import { checkTenantVariables, OBJECT_BUILT_IN_NAMES, type TenantInputs } from './tenant-inputs';

/** Largest request body the API accepts, in bytes. */
export const MAX_BODY_BYTES = 32 * 1024;

const VARIABLE_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const MAX_VARIABLES = 50;
export const MAX_VARIABLE_VALUE_LENGTH = 4096;

export const VariablesSchema = z
  .record(
    z
      .string()
      .regex(VARIABLE_KEY, 'variable names are letters, digits and underscores, starting with a letter')
      .refine((k) => !isReserved(k), {
        message: `is set by the control plane (reserved: ${RESERVED_VARIABLES.join(', ')})`,
      })
      // `__proto__` would vanish from a plain object and `constructor` break its serialisation.
      .refine((k) => !OBJECT_BUILT_IN_NAMES.has(k), { message: 'is a reserved name' }),
    z.string().max(MAX_VARIABLE_VALUE_LENGTH, `values are at most ${MAX_VARIABLE_VALUE_LENGTH} characters`),
  )
  .refine((v) => Object.keys(v).length <= MAX_VARIABLES, { message: `at most ${MAX_VARIABLES} variables` });

/** The variables' shape and, when the deployed module's inputs are known, the names and values it allows. */
export function variablesSchema(inputs?: TenantInputs) {
  if (!inputs) return VariablesSchema;
  return VariablesSchema.superRefine((variables, ctx) => {
    for (const issue of checkTenantVariables(variables, inputs)) {
      ctx.addIssue({ code: 'custom', path: [issue.name], message: issue.message });
    }
  });
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isCalendarDate(d: string): boolean {
  const time = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === d;
}

/** An ISO calendar date (YYYY-MM-DD) strictly after `today` (UTC). */
export function futureDateSchema(today: () => string) {
  return z
    .string()
    .regex(ISO_DATE, 'must be an ISO date (YYYY-MM-DD)')
    .refine(isCalendarDate, { message: 'is not a calendar date' })
    .refine((d) => d > today(), { message: 'must be in the future' });
}

export const TierSchema = z.enum(TIERS);

/** `inputs`: the deployed module's tenant inputs; without them only the variables' shape is checked. */
export function createTenantSchema(today: () => string, inputs?: TenantInputs) {
  return z.strictObject({
    tenantCode: TenantCodeSchema,
    tier: TierSchema.optional(),
    variables: variablesSchema(inputs).optional(),
    decommissionDate: futureDateSchema(today).optional(),
  });
}

/** Every field is optional: `{}` re-runs Terraform with the current values (how a failed tenant is retried). */
export function updateTenantSchema(today: () => string, inputs?: TenantInputs) {
  return z.strictObject({
    tier: TierSchema.optional(),
    variables: variablesSchema(inputs).optional(),
    /** `null` clears the date. */
    decommissionDate: futureDateSchema(today).nullable().optional(),
  });
}

/**
 * A page size from a query string: decimal digits only (Number() would also read '0x10', ' 5' or '1e1'),
 * 1 to 100, 25 when absent.
 */
export const PageLimitSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, 'must be a whole number from 1 to 100')
  .transform(Number)
  .pipe(z.number().max(100, 'must be a whole number from 1 to 100'))
  .optional()
  .transform((v) => v ?? 25);

export const ListTenantsQuerySchema = z.strictObject({
  status: z.enum(TENANT_STATUSES).optional(),
  moduleVersion: z.string().regex(MODULE_VERSION_PATTERN, MODULE_VERSION_RULE).optional(),
  limit: PageLimitSchema,
  nextToken: z.string().min(1).max(2048).optional(),
});

export type CreateTenantRequest = z.infer<ReturnType<typeof createTenantSchema>>;
export type UpdateTenantRequest = z.infer<ReturnType<typeof updateTenantSchema>>;
export type ListTenantsQuery = z.infer<typeof ListTenantsQuerySchema>;
