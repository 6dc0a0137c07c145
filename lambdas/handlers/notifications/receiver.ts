import { receiverHandler, runNotificationsFromEnv } from './wiring';

/** Terraform Cloud's run notifications, at the public function URL: wakes the flow waiting for the run. */
export const handler = receiverHandler(runNotificationsFromEnv());
