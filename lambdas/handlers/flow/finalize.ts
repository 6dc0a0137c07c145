import { finalizeTask, flowFromEnv } from './wiring';

const flow = flowFromEnv('finalize');

export const handler = finalizeTask(() => flow);
