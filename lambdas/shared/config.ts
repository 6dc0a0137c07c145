import * as z from 'zod';

export class ConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment once, at start, into a typed config. A missing or malformed variable is an error
 * naming it, raised at cold start rather than at the first request that needs it.
 */
export function loadEnv<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env) {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')} (${i.message})`).join(', ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return result.data;
}

export const nonEmpty = z.string().min(1, 'is required');

/** An integer setting within the documented bounds of a `LimitSetting` (core/tfc-limits.ts). */
export function boundedInteger(setting: { min: number; max: number }) {
  const rule = `must be an integer from ${setting.min} to ${setting.max}`;
  return z.coerce.number({ error: rule }).int(rule).min(setting.min, rule).max(setting.max, rule);
}

/** {@link boundedInteger} with the setting's default. */
export function limitSetting(setting: { min: number; max: number; default: number }) {
  return boundedInteger(setting).default(setting.default);
}
