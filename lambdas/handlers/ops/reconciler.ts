import { reconcilerFromEnv, reconcilerHandler, tenantCounterFromEnv } from './wiring';

/** Republishes or fails tenants left in an in-progress status with no live flow behind them. */
export const handler = reconcilerHandler(reconcilerFromEnv(), tenantCounterFromEnv());
