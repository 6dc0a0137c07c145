import type { TriggerInput } from '../../use-cases/tenant-flow';
import { flowFromEnv, taskHandler } from './wiring';

const flow = flowFromEnv('trigger');

export const handler = taskHandler((input: TriggerInput) => flow.trigger(input));
