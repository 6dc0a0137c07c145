/**
 * Environment name of a control plane deployment: part of every workspace name (`tenant-<env>-<code>`) and
 * of the tenant module's resource names. No hyphens, so one environment's workspace prefix can never match
 * another's (the dynamic-credentials trust relies on it); at most 12 characters so S3 bucket names fit.
 * The tenant module validates `environment` with the same rule.
 */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9]{1,11}$/;
export const ENVIRONMENT_NAME_RULE = '2-12 lowercase letters or digits, starting with a letter';
