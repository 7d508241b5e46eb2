/** The slice of the SESv2 SDK the email notifier uses (for `#ses/…`, see ./kms.ts). */
export { SESv2Client } from '#ses/client';
export { SendEmailCommand } from '#ses/send-email';
