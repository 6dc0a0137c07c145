import * as z from 'zod';

/**
 * The module inputs a tenant may set: the contents of `tenant-inputs.json` beside the module's
 * `variables.tf`. Keys are input names; a value may add constraints. Every other input comes from the
 * deployment's configuration (a TFC variable set, or the module's default), never from a request.
 */
export const TENANT_INPUTS_FILE = 'tenant-inputs.json';

const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Names every plain JavaScript object already answers to: never a variable name, whatever the module says. */
export const OBJECT_BUILT_IN_NAMES: ReadonlySet<string> = new Set([
  '__proto__',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

const InputConstraintSchema = z.strictObject({
  /** What the input does, for the people writing requests. */
  description: z.string().optional(),
  /** A regular expression the whole value must match. */
  pattern: z
    .string()
    .refine(
      (p) => {
        try {
          new RegExp(p, 'u');
          return true;
        } catch {
          return false;
        }
      },
      { message: 'is not a valid regular expression' },
    )
    .optional(),
});

export const TenantInputsFileSchema = z.record(
  z
    .string()
    .regex(INPUT_NAME, 'input names are letters, digits and underscores')
    .refine((k) => !OBJECT_BUILT_IN_NAMES.has(k), { message: 'is a reserved name' }),
  InputConstraintSchema,
);

export interface TenantInput {
  readonly name: string;
  readonly description?: string;
  readonly pattern?: RegExp;
}

/** The inputs a tenant may set, by name (a Map: no name can collide with an object's built-ins). */
export type TenantInputs = ReadonlyMap<string, TenantInput>;

/** Parses the contents of a `tenant-inputs.json`; throws naming `source` when it is malformed. */
export function parseTenantInputs(json: unknown, source = TENANT_INPUTS_FILE): TenantInputs {
  const result = TenantInputsFileSchema.safeParse(json);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(
      `${source} is not a valid tenant inputs file: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`,
    );
  }
  return new Map(
    Object.entries(result.data).map(([name, c]) => [
      name,
      {
        name,
        ...(c.description === undefined ? {} : { description: c.description }),
        ...(c.pattern === undefined ? {} : { pattern: new RegExp(c.pattern, 'u') }),
      },
    ]),
  );
}

export interface InputIssue {
  name: string;
  message: string;
}

/** What is wrong with `variables` against the inputs a tenant may set, one issue per variable. */
export function checkTenantVariables(variables: Record<string, string>, inputs: TenantInputs): InputIssue[] {
  const issues: InputIssue[] = [];
  for (const name of Object.keys(variables)) {
    const input = inputs.get(name);
    const value = variables[name] ?? '';
    if (!input) {
      issues.push({
        name,
        message: `is not an input a tenant may set (allowed: ${[...inputs.keys()].sort().join(', ') || 'none'})`,
      });
    } else if (input.pattern && !input.pattern.test(value)) {
      issues.push({ name, message: `must match ${input.pattern.source}` });
    }
  }
  return issues;
}
