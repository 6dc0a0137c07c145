import { rolloutsFromEnv, rolloutStepHandler } from './wiring';

export const handler = rolloutStepHandler(rolloutsFromEnv());
