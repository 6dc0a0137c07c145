import { Duration } from 'aws-cdk-lib';
import { EventBus, EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  ACTIONS,
  type Action,
  EVENT_SOURCE,
  FLOWS,
  type FlowInput,
  flowConstants,
} from '../../lambdas/core/flows';
import { DeadLetterQueue } from './dead-letter-queue';

/** How EventBridge retries delivering a request event to its state machine. */
export interface DeliveryRetryOptions {
  /**
   * Attempts after the first failed delivery.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event before it goes to the dead-letter queue.
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
}

export interface RequestBusesProps extends DeliveryRetryOptions {
  /** The state machine each action's rule starts. */
  readonly stateMachines: Readonly<Record<Action, IStateMachine>>;
}

/**
 * One EventBridge bus per action, each with ONE rule matching its request event and starting its own state
 * machine. The rule's input transformer writes exactly `flowInput(action, detail)` of
 * `lambdas/core/flows.ts`: the request detail plus the flow's constants, taken from the same code.
 * Undeliverable events land in an encrypted dead-letter queue per target.
 */
export class RequestBuses extends Construct {
  public readonly buses: Readonly<Record<Action, EventBus>>;
  public readonly rules: Readonly<Record<Action, Rule>>;
  public readonly deadLetterQueues: Readonly<Record<Action, DeadLetterQueue>>;

  public constructor(scope: Construct, id: string, props: RequestBusesProps) {
    super(scope, id);
    const buses = {} as Record<Action, EventBus>;
    const rules = {} as Record<Action, Rule>;
    const queues = {} as Record<Action, DeadLetterQueue>;

    for (const action of ACTIONS) {
      const name = `${action[0]?.toUpperCase()}${action.slice(1)}`;
      const bus = new EventBus(this, `${name}Bus`, {
        description: `Tenant ${action} requests (${FLOWS[action].detailType})`,
      });
      const dlq = new DeadLetterQueue(this, `${name}DeadLetters`, {
        purpose: `${FLOWS[action].detailType} events EventBridge could not deliver to the ${action} state machine`,
      });
      rules[action] = new Rule(this, `${name}Rule`, {
        eventBus: bus,
        description: `Starts the tenant ${action} flow`,
        eventPattern: { source: [EVENT_SOURCE], detailType: [FLOWS[action].detailType] },
        targets: [
          new SfnStateMachine(props.stateMachines[action], {
            input: flowInputTransformer(action),
            deadLetterQueue: dlq.queue,
            retryAttempts: props.retryAttempts ?? 10,
            maxEventAge: props.maxEventAge ?? Duration.hours(2),
          }),
        ],
      });
      buses[action] = bus;
      queues[action] = dlq;
    }
    this.buses = buses;
    this.rules = rules;
    this.deadLetterQueues = queues;
  }
}

/** The input transformer producing `flowInput(action, event.detail)`; typed against `FlowInput`. */
export function flowInputTransformer(action: Action): RuleTargetInput {
  const input: Record<keyof FlowInput, unknown> = {
    tenantCode: EventField.fromPath('$.detail.tenantCode'),
    flowId: EventField.fromPath('$.detail.flowId'),
    requestedBy: EventField.fromPath('$.detail.requestedBy'),
    requestedAt: EventField.fromPath('$.detail.requestedAt'),
    flow: flowConstants(action),
    run: {},
  };
  return RuleTargetInput.fromObject(input);
}
