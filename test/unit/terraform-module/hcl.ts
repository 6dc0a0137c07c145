import { parse } from '@cdktf/hcl2json';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The JSON that `@cdktf/hcl2json` produces: blocks are arrays of objects, expressions `${...}` strings. */
export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** A Terraform module's `.tf` files merged into one document (`resource`, `data`, `variable`, ...). */
export type TerraformModule = JsonObject;

export const MODULE_ROOT = resolve(__dirname, '../../../terraform-module');
export const AWS_MODULE_DIR = join(MODULE_ROOT, 'aws');
export const LOCAL_MODULE_DIR = join(MODULE_ROOT, 'local');

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nested blocks (`rule { ... }`) come out as arrays of objects; an absent block is an empty list. */
export function blocks(value: Json | undefined): JsonObject[] {
  if (Array.isArray(value)) return value.filter(isObject);
  return isObject(value) ? [value] : [];
}

/** A string list attribute (`actions = [...]`); a single string counts as a one-element list. */
export function strings(value: Json | undefined): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export interface NamedBlock {
  name: string;
  body: JsonObject;
}

/** Every `resource "<type>" "<name>"` (or `data`, with `kind = 'data'`) of the module. */
export function declared(
  module: TerraformModule,
  type: string,
  kind: 'resource' | 'data' = 'resource',
): NamedBlock[] {
  const byType = module[kind];
  if (!isObject(byType)) return [];
  const byName = byType[type];
  if (!isObject(byName)) return [];
  return Object.entries(byName).flatMap(([name, value]) => blocks(value).map((body) => ({ name, body })));
}

/** The one block `<kind> "<type>" "<name>"`; throws when absent, for arranging mutations in tests. */
export function mustFind(
  module: TerraformModule,
  type: string,
  name: string,
  kind: 'resource' | 'data' = 'resource',
): JsonObject {
  const found = declared(module, type, kind).find((b) => b.name === name);
  if (!found) throw new Error(`${kind} ${type}.${name} is not declared`);
  return found.body;
}

/** Named top-level blocks without a type label: `variable "x"`, `output "x"`. */
export function labelled(module: TerraformModule, kind: 'variable' | 'output'): Map<string, JsonObject> {
  const byName = module[kind];
  const result = new Map<string, JsonObject>();
  if (!isObject(byName)) return result;
  for (const [name, value] of Object.entries(byName)) {
    const [body] = blocks(value);
    if (body) result.set(name, body);
  }
  return result;
}

/** Objects merge key by key; block lists (and `locals`) concatenate. */
function merge(target: JsonObject, source: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (Array.isArray(existing) && Array.isArray(value)) target[key] = [...existing, ...value];
    else if (isObject(existing) && isObject(value)) target[key] = merge(existing, value);
    else target[key] = value;
  }
  return target;
}

/** Parses every top-level `.tf` file of a module directory (tests in `tests/` are not part of it). */
export async function loadModule(dir: string): Promise<TerraformModule> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.tf')).sort();
  if (files.length === 0) throw new Error(`no .tf files in ${dir}`);
  const merged: TerraformModule = {};
  for (const file of files) {
    const parsed: unknown = await parse(file, await readFile(join(dir, file), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${file}: hcl2json returned no document`);
    }
    // hcl2json emits plain JSON; the guard above rules out everything but an object.
    merge(merged, parsed as JsonObject);
  }
  return merged;
}
