/**
 * The Notifier port: one-time codes and security alerts to a customer's phone (SMS) or email.
 *
 * Adapters:
 * - AWS: SMS through SNS `Publish` to a phone number (transactional), email through SESv2 `SendEmail`
 *   from the platform's one verified address (`NOTIFY_FROM_ADDRESS`, set by the CDK Notifications
 *   construct). One client each, created on first use and reused by the container.
 * - Local (`TESSERA_LOCAL=1`): an outbox in the main table under the customer, readable at
 *   `GET /v1/me/outbox`. Messages there carry one-time codes, so the stored copy is encrypted with
 *   the key service (the sandbox must not leave codes in clear text in a table either).
 */

import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SNSClient } from '@aws-sdk/client-sns';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { type Clock, clock as defaultClock } from './clock.ts';
import { config } from './config.ts';
import { ddb, tableName } from './dynamodb.ts';
import { newId } from './ids.ts';
import { keyService } from './key-service.ts';
import { defineSchema } from './schema.ts';

export type NotificationChannel = 'sms' | 'email';

export interface Notification {
  customerId: string;
  channel: NotificationChannel;
  /** E.164 phone number for SMS, email address for email. */
  to: string;
  /** Email subject; SMS ignores it. */
  subject: string;
  text: string;
  /**
   * `payment_notice`: reminders, receipts, failures and arrears of a shopper's installments (and
   * disputes); `support_notice`: a support reply is waiting (never its text).
   */
  kind: 'one_time_code' | 'security_alert' | 'payment_notice' | 'support_notice';
  /** A non-secret id the message is about (e.g. the challenge id), for correlation. */
  reference?: string;
}

export interface Notifier {
  send(notification: Notification): Promise<void>;
}

let snsClient: SNSClient | undefined;
let sesClient: SESv2Client | undefined;

// The SDKs load on the first send, not at init: most invocations of these functions send nothing.
const snsSdk = () => import('./aws-sdk/sns.ts');
const sesSdk = () => import('./aws-sdk/ses.ts');
const sns = async () => {
  const { SNSClient } = await snsSdk();
  snsClient ??= new SNSClient({ region: config().AWS_REGION });
  return snsClient;
};
const ses = async () => {
  const { SESv2Client } = await sesSdk();
  sesClient ??= new SESv2Client({ region: config().AWS_REGION });
  return sesClient;
};

/** SMS through SNS: a direct publish to the number, marked transactional (higher delivery priority). */
export class SnsSmsNotifier implements Notifier {
  readonly #client: () => Promise<SNSClient>;

  constructor(client: () => Promise<SNSClient> = sns) {
    this.#client = client;
  }

  async send(notification: Notification): Promise<void> {
    if (notification.channel !== 'sms') throw new Error('SnsSmsNotifier sends SMS only');
    const { PublishCommand } = await snsSdk();
    await (await this.#client()).send(
      new PublishCommand({
        PhoneNumber: notification.to,
        Message: notification.text,
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        },
      }),
    );
  }
}

/** Email through SESv2, plain text only (no HTML that could be spoofed or tracked). */
export class SesEmailNotifier implements Notifier {
  readonly #client: () => Promise<SESv2Client>;
  readonly #from: () => string;

  constructor(options: { client?: () => Promise<SESv2Client>; from?: () => string } = {}) {
    this.#client = options.client ?? ses;
    this.#from = options.from ?? fromAddress;
  }

  async send(notification: Notification): Promise<void> {
    if (notification.channel !== 'email') throw new Error('SesEmailNotifier sends email only');
    const from = this.#from();
    const { SendEmailCommand } = await sesSdk();
    await (await this.#client()).send(
      new SendEmailCommand({
        FromEmailAddress: from,
        Destination: { ToAddresses: [notification.to] },
        Content: {
          Simple: {
            Subject: { Data: notification.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: notification.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}

/** Routes each notification to the adapter of its channel. */
export class ChannelNotifier implements Notifier {
  readonly #byChannel: Record<NotificationChannel, Notifier>;

  constructor(byChannel: Record<NotificationChannel, Notifier>) {
    this.#byChannel = byChannel;
  }

  send(notification: Notification): Promise<void> {
    return this.#byChannel[notification.channel].send(notification);
  }
}

const FromAddress = /* @__PURE__ */ defineSchema(() => z.email());

function fromAddress(): string {
  const parsed = FromAddress.safeParse(process.env.NOTIFY_FROM_ADDRESS);
  if (!parsed.success) throw new Error('NOTIFY_FROM_ADDRESS is not set to an email address');
  return parsed.data;
}

/** Outbox messages are kept one day: long enough for a demo or a test, short for codes. */
export const OUTBOX_RETENTION_MS = 24 * 3600 * 1000;
const OUTBOX_PURPOSE = 'outbox';

export interface OutboxMessage {
  id: string;
  channel: NotificationChannel;
  kind: Notification['kind'];
  to: string;
  subject: string;
  text: string;
  reference?: string;
  createdAt: string;
}

const StoredMessage = /* @__PURE__ */ defineSchema(() =>
  z.object({
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    reference: z.string().optional(),
  }),
);

/** The local sandbox adapter: encrypts and stores each message under `CUSTOMER#<id>`. */
export class OutboxNotifier implements Notifier {
  readonly #clock: () => Clock;

  constructor(clock: () => Clock = defaultClock) {
    this.#clock = clock;
  }

  async send(notification: Notification): Promise<void> {
    const now = this.#clock().now();
    const id = newId('event', now);
    const plaintext = Buffer.from(
      JSON.stringify({
        to: notification.to,
        subject: notification.subject,
        text: notification.text,
        ...(notification.reference ? { reference: notification.reference } : {}),
      }),
      'utf8',
    );
    const sealed = await keyService().encrypt(config().SECRETS_KEY_ID, plaintext, {
      purpose: OUTBOX_PURPOSE,
      customerId: notification.customerId,
    });
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          pk: `CUSTOMER#${notification.customerId}`,
          sk: `OUTBOX#${now.toISOString()}#${id}`,
          type: 'outbox',
          id,
          channel: notification.channel,
          kind: notification.kind,
          sealed: sealed.toString('base64'),
          createdAt: now.toISOString(),
          ttl: Math.floor((now.getTime() + OUTBOX_RETENTION_MS) / 1000),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }
}

/** The newest `limit` outbox messages of a customer, decrypted (local sandbox only). */
export async function listOutbox(customerId: string, limit = 20): Promise<OutboxMessage[]> {
  const { Items = [] } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `CUSTOMER#${customerId}`, ':prefix': 'OUTBOX#' },
      ScanIndexForward: false,
      Limit: limit,
      ConsistentRead: true,
    }),
  );
  const messages: OutboxMessage[] = [];
  for (const item of Items) {
    const plaintext = await keyService().decrypt(Buffer.from(String(item.sealed), 'base64'), {
      purpose: OUTBOX_PURPOSE,
      customerId,
    });
    const body = StoredMessage.parse(JSON.parse(plaintext.toString('utf8')));
    messages.push({
      id: String(item.id),
      channel: item.channel as NotificationChannel,
      kind: item.kind as Notification['kind'],
      to: body.to,
      subject: body.subject,
      text: body.text,
      ...(body.reference ? { reference: body.reference } : {}),
      createdAt: String(item.createdAt),
    });
  }
  return messages;
}

let shared: Notifier | undefined;
let sharedEmail: Notifier | undefined;

/** The process-wide notifier: the outbox locally, SNS + SES in AWS. */
export function notifier(): Notifier {
  shared ??= config().isLocal
    ? new OutboxNotifier()
    : new ChannelNotifier({ sms: new SnsSmsNotifier(), email: new SesEmailNotifier() });
  return shared;
}

/**
 * The same notifier for email only (security alerts): the outbox locally, SES in AWS, or what a
 * test installed with `setNotifier`. Functions that only ever email do not bundle the SNS client.
 */
export function emailNotifier(): Notifier {
  if (shared) return shared;
  sharedEmail ??= config().isLocal ? new OutboxNotifier() : new SesEmailNotifier();
  return sharedEmail;
}

/** Tests install their own; `undefined` goes back to the default. */
export function setNotifier(next: Notifier | undefined): void {
  shared = next;
  sharedEmail = undefined;
}
