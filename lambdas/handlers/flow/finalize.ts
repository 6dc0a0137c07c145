import type { Context } from 'aws-lambda';
import type { FinalizeInput } from '../../use-cases/tenant-flow';
import { flowFromEnv, taskHandler } from './wiring';

const flow = flowFromEnv('finalize');
const finalize = taskHandler((input: FinalizeInput) => flow.finalize(input));

/** The state machine passes the whole state as `input`, so a caught error reaches finalize too. */
export const handler = (event: { input: FinalizeInput }, context?: Context) => finalize(event.input, context);
