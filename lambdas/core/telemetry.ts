/**
 * Names the runtime emits and the CDK app reads, defined once: the service and metrics namespace of every
 * function (Powertools), the per-status tenant gauge the reconciler publishes, and the TFC client's retry
 * log line that a metric filter counts.
 */
export const SERVICE_NAME = 'tenant-control-plane';
export const METRICS_NAMESPACE = 'TenantControlPlane';
export const TENANTS_METRIC = 'Tenants';
export const TFC_RETRY_LOG_MESSAGE = 'TFC request will be retried';
/** Run notifications refused for a missing or wrong signature (the receiver counts them; an alarm watches). */
export const NOTIFICATION_SIGNATURE_REJECTED_METRIC = 'NotificationSignatureRejected';
