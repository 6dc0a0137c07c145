import type { CheckRequest } from '../../core/flow-state';
import { flowFromEnv, taskHandler } from './wiring';

const flow = flowFromEnv('check');

export const handler = taskHandler((input: CheckRequest) => flow.check(input));
