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

/** One environment variable: its name and the schema its value is parsed with (its default included). */
export interface EnvVar<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: S;
}

export function envVar<S extends z.ZodType>(name: string, schema: S): EnvVar<S> {
  return { name, schema };
}

/** The typed settings {@link loadSettings} reads for a map of variables. */
export type Settings<V extends Record<string, EnvVar>> = { [K in keyof V]: z.output<V[K]['schema']> };

/**
 * Reads a map of variables (setting → variable) into typed settings, with {@link loadEnv}'s errors naming
 * the variables: the contract module declares the map once, the CDK sets the names, the loader reads them.
 */
export function loadSettings<V extends Record<string, EnvVar>>(
  vars: V,
  env: NodeJS.ProcessEnv = process.env,
): Settings<V> {
  const data: Record<string, unknown> = loadEnv(
    Object.fromEntries(Object.values(vars).map((v) => [v.name, v.schema])),
    env,
  );
  return Object.fromEntries(Object.entries(vars).map(([key, v]) => [key, data[v.name]])) as Settings<V>;
}

/** What {@link loadSettingGroups} returns: each group's settings, or undefined where the group was not asked for. */
export type SettingGroups<G extends Record<string, Record<string, EnvVar> | undefined>> = {
  [K in keyof G]: GroupSettings<G[K]>;
};

type GroupSettings<V> = V extends Record<string, EnvVar> ? Settings<V> : undefined;

/**
 * {@link loadSettings} for groups of variables a function reads only in some configurations (a write
 * route's bus, a route's module): one read of the environment, every problem named at once.
 */
export function loadSettingGroups<G extends Record<string, Record<string, EnvVar> | undefined>>(
  groups: G,
  env: NodeJS.ProcessEnv = process.env,
): SettingGroups<G> {
  const present = Object.entries(groups).filter(
    (entry): entry is [string, Record<string, EnvVar>] => entry[1] !== undefined,
  );
  const all = loadSettings(
    Object.fromEntries(
      present.flatMap(([group, vars]) => Object.entries(vars).map(([key, v]) => [`${group}.${key}`, v])),
    ),
    env,
  );
  return Object.fromEntries(
    Object.entries(groups).map(([group, vars]) => [
      group,
      vars && Object.fromEntries(Object.keys(vars).map((key) => [key, all[`${group}.${key}`]])),
    ]),
  ) as SettingGroups<G>;
}
