/**
 * Names the runtime emits and the dashboard reads, defined once: the per-status tenant gauge the reconciler
 * publishes, and the TFC client's retry log line that a metric filter counts.
 */
export const TENANTS_METRIC = 'Tenants';
export const TFC_RETRY_LOG_MESSAGE = 'TFC request will be retried';
