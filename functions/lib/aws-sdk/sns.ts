/** The slice of the SNS SDK the SMS notifier uses (for `#sns/…`, see ./kms.ts). */
export { SNSClient } from '#sns/client';
export { PublishCommand } from '#sns/publish';
