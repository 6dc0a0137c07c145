import { apiFromEnv, lambdaHandler } from './wiring';

export const handler = lambdaHandler(apiFromEnv(), 'get');
