import { routeHandler } from './wiring';

export const handler = routeHandler('listRollouts');
