import { ACTIONS, EVENT_SOURCE, FLOWS, flowConstants, flowInput } from '../../lambdas/core/flows';
import { type CfnResource, arnOf, ref, resource, resourcesOfType, synthStack } from './support';

const { stack, template } = synthStack();
const cp = stack.controlPlane;

interface RuleTarget {
  Arn: unknown;
  DeadLetterConfig?: { Arn: unknown };
  RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string };
}
const targetsOf = (rule: CfnResource) => rule.Properties.Targets as RuleTarget[];

function ruleOnBus(bus: object): CfnResource {
  const rules = Object.values(resourcesOfType(template, 'AWS::Events::Rule')).filter(
    (r) => JSON.stringify(r.Properties.EventBusName) === JSON.stringify(bus),
  );
  expect(rules).toHaveLength(1);
  return rules[0] as CfnResource;
}

const detail = {
  tenantCode: 'acme-prod',
  flowId: '0b8f6c1e-2f5c-4c59-9d1e-6f3e2a7b9c10',
  requestedBy: 'api:arn:aws:iam::123456789012:role/caller',
  requestedAt: '2030-01-02T03:04:05.000Z',
};

/** What EventBridge does with an input transformer: each `<name>` becomes the JSON of its path's value. */
function render(transformer: NonNullable<RuleTarget['InputTransformer']>, event: object): unknown {
  const text = transformer.InputTemplate.replace(/<([\w-]+)>/g, (_, name: string) => {
    const path = transformer.InputPathsMap[name] ?? '';
    const value = path
      .replace(/^\$\./, '')
      .split('.')
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], event);
    return JSON.stringify(value);
  });
  return JSON.parse(text);
}

describe('request buses', () => {
  it('has one bus per action with ONE rule, matching its request event and starting its own state machine', () => {
    template.resourceCountIs('AWS::Events::EventBus', 3);
    for (const action of ACTIONS) {
      const rule = ruleOnBus(ref(cp.buses.buses[action]));
      expect(rule.Properties.EventPattern).toEqual({
        source: [EVENT_SOURCE],
        'detail-type': [FLOWS[action].detailType],
      });
      expect(targetsOf(rule).map((t) => t.Arn)).toEqual([ref(cp.flows.stateMachines[action])]);
    }
  });

  it('gives every rule target in the stack a dead-letter queue and a retry policy', () => {
    const targets = Object.values(resourcesOfType(template, 'AWS::Events::Rule')).flatMap(targetsOf);
    expect(targets).toHaveLength(5); // three flows, decommission, reconciler
    const queueIds = Object.keys(resourcesOfType(template, 'AWS::SQS::Queue'));
    for (const target of targets) {
      const dlq = (target.DeadLetterConfig?.Arn as { 'Fn::GetAtt': [string, string] } | undefined)?.[
        'Fn::GetAtt'
      ];
      expect(queueIds).toContain(dlq?.[0]);
      expect(target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(target.RetryPolicy?.MaximumEventAgeInSeconds).toBeGreaterThan(0);
    }
    const flowTarget = targetsOf(ruleOnBus(ref(cp.buses.buses.create)))[0];
    expect(flowTarget?.DeadLetterConfig?.Arn).toEqual(arnOf(cp.buses.deadLetterQueues.create.queue));
    expect(flowTarget?.RetryPolicy).toEqual({ MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 });
  });

  it.each(ACTIONS)('turns a %s request event into exactly flowInput(action, detail)', (action) => {
    const target = targetsOf(ruleOnBus(ref(cp.buses.buses[action])))[0];
    const event = { source: EVENT_SOURCE, 'detail-type': FLOWS[action].detailType, detail };

    expect(render(target?.InputTransformer ?? { InputPathsMap: {}, InputTemplate: '' }, event)).toEqual(
      flowInput(action, detail),
    );
  });

  it('gives the three rules inputs that differ only in the flow constants', () => {
    const transformers = ACTIONS.map((action) => {
      const transformer = targetsOf(ruleOnBus(ref(cp.buses.buses[action])))[0]?.InputTransformer;
      const rendered = render(transformer ?? { InputPathsMap: {}, InputTemplate: '' }, { detail }) as {
        flow: unknown;
      };
      const { flow, ...rest } = rendered;
      return { paths: transformer?.InputPathsMap, rest, flow };
    });

    expect(new Set(transformers.map((t) => JSON.stringify(t.paths))).size).toBe(1);
    expect(new Set(transformers.map((t) => JSON.stringify(t.rest))).size).toBe(1);
    expect(transformers.map((t) => t.flow)).toEqual(ACTIONS.map(flowConstants));
    expect(new Set(transformers.map((t) => JSON.stringify(t.flow))).size).toBe(3);
  });

  it('encrypts every dead-letter queue and refuses non-TLS access', () => {
    const queues = resourcesOfType(template, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(5);
    const policies = Object.values(resourcesOfType(template, 'AWS::SQS::QueuePolicy'));
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled ?? queue.Properties.KmsMasterKeyId).toBeTruthy();
      const statements = policies
        .filter((p) => JSON.stringify(p.Properties.Queues).includes(`"${id}"`))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: object[] }).Statement);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Principal: { Service: 'events.amazonaws.com' },
        }),
      );
    }
    expect(
      resource(template, 'AWS::SQS::Queue', Object.keys(queues)[0] ?? '').Properties.MessageRetentionPeriod,
    ).toBe(14 * 24 * 3600);
  });
});
