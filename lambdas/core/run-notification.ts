/**
 * Terraform Cloud run notifications (notification-configurations.mdx): the receiver's route and header.
 */

/** The receiver's path on the local server (in AWS the receiver is a function URL's root). */
export const RUN_NOTIFICATION_PATH = '/tfc/notifications';

/** Hex HMAC-SHA512 of the raw body, keyed with the configuration's token (notification-configurations.mdx). */
export const NOTIFICATION_SIGNATURE_HEADER = 'x-tfe-notification-signature';
