/**
 * State version outputs (state-version-outputs.mdx): `type` is the JSON type of the value
 * (`string`, `array`, ...) and `detailed-type` the Terraform type (`string`, `["tuple", [...]]`).
 */
import type { IdGenerator } from './ids';
import type { OutputRecord } from './records';
import type { FakeOutputSpec } from './types';

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'string';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number' || typeof value === 'boolean') return typeof value;
  return 'string';
}

function detailedType(value: unknown): unknown {
  if (Array.isArray(value)) return ['tuple', value.map(detailedType)];
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'object' && value !== null) {
    const fields = Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, detailedType(inner)]),
    );
    return ['object', fields];
  }
  return 'string';
}

export function toOutputRecords(specs: readonly FakeOutputSpec[], ids: IdGenerator): OutputRecord[] {
  return specs.map((spec) => ({
    id: ids.next('wsout'),
    name: spec.name,
    sensitive: spec.sensitive ?? false,
    type: spec.type ?? jsonType(spec.value),
    detailedType: detailedType(spec.value),
    value: spec.value,
  }));
}
