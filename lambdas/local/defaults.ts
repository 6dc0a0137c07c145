// Imported first by the local entry point, before any logger is built: local runs keep the console for
// lifecycle events and warnings, not the JSON debug stream a Lambda sends to CloudWatch.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

export {};
