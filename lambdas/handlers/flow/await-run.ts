import type { AwaitRequest } from '../../core/flow-state';
import { flowFromEnv, taskHandler } from './wiring';

const flow = flowFromEnv('await');

/**
 * The AwaitRun state's function (`lambda:invoke.waitForTaskToken`): stores the task token with the run and
 * reads the run once; the state then waits for the run notification receiver to complete it.
 */
export const handler = taskHandler((input: AwaitRequest) => flow.awaitRun(input));
