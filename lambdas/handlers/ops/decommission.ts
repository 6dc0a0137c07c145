import { decommissionFromEnv, decommissionHandler } from './wiring';

/** The daily decommission sweep; invoke with `{ "dryRun": true }` to see what it would delete. */
export const handler = decommissionHandler(decommissionFromEnv());
