import type { CheckInput } from '../../use-cases/tenant-flow';
import { flowFromEnv, taskHandler } from './wiring';

const flow = flowFromEnv('check');

export const handler = taskHandler((input: CheckInput) => flow.check(input));
