import type { TriggerRequest } from '../../core/flow-state';
import { flowFromEnv, taskHandler } from './wiring';

const flow = flowFromEnv('trigger');

export const handler = taskHandler((input: TriggerRequest) => flow.trigger(input));
