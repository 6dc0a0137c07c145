/**
 * Every JSONPath of the shared flow definition resolves in the typed flow state (lambdas/core/flow-state.ts),
 * and every task's Parameters are exactly the input its schema parses: a renamed field fails here, not in
 * a deployed execution.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import {
  AdmitInputSchema,
  AwaitInputSchema,
  CheckInputSchema,
  FinalizeInputSchema,
  FlowContextSchema,
  FlowExecutionStateSchema,
  TriggerInputSchema,
} from '../../../lambdas/core/flow-state';
import { flowInput } from '../../../lambdas/core/flows';
import { DEFINITION_PATH } from '../../../lambdas/local/state-machine';

type State = Record<string, unknown>;
const definition = JSON.parse(readFileSync(DEFINITION_PATH, 'utf8')) as { States: Record<string, State> };

/** The schema at a path of a zod object schema, through optional and default wrappers; undefined if none. */
function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | undefined {
  let current: z.ZodType = schema;
  for (const key of path) {
    while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    }
    if (!(current instanceof z.ZodObject)) return undefined;
    const next = (current.shape as Record<string, z.ZodType | undefined>)[key];
    if (!next) return undefined;
    current = next;
  }
  return current;
}

const segments = (path: string, root: '$' | '$$') =>
  path
    .slice(root.length + 1)
    .split('.')
    .filter(Boolean);

/** Every path the definition reads or writes, with where it appears. */
function pathsOf(): { where: string; path: string }[] {
  const found: { where: string; path: string }[] = [];
  const walk = (value: unknown, where: string) => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${where}[${i}]`));
    if (!value || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const at = `${where}.${key}`;
      const isPath =
        typeof v === 'string' &&
        (key.endsWith('.$') ||
          ['Variable', 'SecondsPath', 'ResultPath', 'InputPath', 'OutputPath'].includes(key));
      if (isPath) found.push({ where: at, path: v });
      else walk(v, at);
    }
  };
  for (const [name, state] of Object.entries(definition.States)) walk(state, name);
  return found;
}

describe('the flow definition against the typed flow state', () => {
  const paths = pathsOf();

  it('finds the paths it checks', () => {
    expect(paths.length).toBeGreaterThan(20);
  });

  it.each(paths.map((p) => [p.where, p.path] as const))('%s: %s resolves', (_where, path) => {
    const resolved = path.startsWith('$$.')
      ? schemaAt(FlowContextSchema, segments(path, '$$'))
      : schemaAt(FlowExecutionStateSchema, segments(path, '$'));
    expect(resolved).toBeDefined();
  });

  it.each([
    ['Admit', AdmitInputSchema],
    ['Trigger', TriggerInputSchema],
    ['Check', CheckInputSchema],
    ['Finalize', FinalizeInputSchema],
  ] as const)('%s selects exactly the fields its input schema parses', (name, schema) => {
    const parameters = definition.States[name]?.Parameters as Record<string, string>;
    expect(
      Object.keys(parameters)
        .map((k) => k.replace(/\.\$$/, ''))
        .sort(),
    ).toEqual(Object.keys(schema.shape).sort());
  });

  it("AwaitRun's payload is exactly what its input schema parses, the task token included", () => {
    const payload = (definition.States.AwaitRun?.Parameters as { Payload: Record<string, string> }).Payload;
    expect(
      Object.keys(payload)
        .map((k) => k.replace(/\.\$$/, ''))
        .sort(),
    ).toEqual(Object.keys(AwaitInputSchema.shape).sort());
    expect(payload['taskToken.$']).toBe('$$.Task.Token');
  });

  it('the execution input the bus rules write parses as the initial state', () => {
    const input = flowInput('create', {
      tenantCode: 'acme',
      flowId: 'f1',
      requestedBy: 'api:bob',
      requestedAt: '2026-12-02T10:00:00.000Z',
    });
    expect(FlowExecutionStateSchema.parse(input)).toEqual(input);
  });
});
