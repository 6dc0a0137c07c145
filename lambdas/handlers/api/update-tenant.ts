import { apiFromEnv, lambdaHandler } from './wiring';

export const handler = lambdaHandler(apiFromEnv('update'), 'update');
