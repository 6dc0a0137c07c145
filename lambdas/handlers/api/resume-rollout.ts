import { rolloutRouteHandler } from './rollout-wiring';

export const handler = rolloutRouteHandler('resumeRollout');
