import 'aws-sdk-client-mock-vitest/extend';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.ts';
import {
  ChannelNotifier,
  type Notification,
  notifier,
  OutboxNotifier,
  SesEmailNotifier,
  SnsSmsNotifier,
  setNotifier,
} from '../../functions/lib/notifier.ts';

const sns = mockClient(SNSClient);
const ses = mockClient(SESv2Client);

const sms: Notification = {
  customerId: 'cus_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  channel: 'sms',
  to: '+14155550123',
  subject: 'Your Tessera verification code',
  text: 'Your Tessera code is 123456.',
  kind: 'one_time_code',
  reference: 'chl_01ARZ3NDEKTSV4RRFFQ69G5FAV',
};
const email: Notification = { ...sms, channel: 'email', to: 'ann@example.com', kind: 'security_alert' };

beforeEach(() => {
  sns.reset();
  ses.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  ses.on(SendEmailCommand).resolves({ MessageId: 'e-1' });
  process.env.NOTIFY_FROM_ADDRESS = 'no-reply@tessera.example';
});
afterAll(() => {
  delete process.env.NOTIFY_FROM_ADDRESS;
  setNotifier(undefined);
});

describe('SNS SMS adapter', () => {
  it('publishes to the phone number as a transactional SMS, with the text only', async () => {
    await new SnsSmsNotifier().send(sms);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      PhoneNumber: '+14155550123',
      Message: 'Your Tessera code is 123456.',
      MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
    });
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBeUndefined();
    expect(input?.TargetArn).toBeUndefined();
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });

  it('refuses an email notification, and surfaces an SNS failure', async () => {
    await expect(new SnsSmsNotifier().send(email)).rejects.toThrow(/SMS only/);
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    await expect(new SnsSmsNotifier().send(sms)).rejects.toThrow('Throttling');
  });
});

describe('SESv2 email adapter', () => {
  it('sends a plain-text email from the configured address to the customer', async () => {
    await new SesEmailNotifier().send(email);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      FromEmailAddress: 'no-reply@tessera.example',
      Destination: { ToAddresses: ['ann@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'Your Tessera verification code', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Your Tessera code is 123456.', Charset: 'UTF-8' } },
        },
      },
    });
    const body = ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Body;
    expect(body?.Html).toBeUndefined();
  });

  it('fails closed without a valid from address', async () => {
    process.env.NOTIFY_FROM_ADDRESS = 'not an address';
    await expect(new SesEmailNotifier().send(email)).rejects.toThrow(/NOTIFY_FROM_ADDRESS/);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });
});

describe('routing and selection', () => {
  it('routes each channel to its adapter', async () => {
    const routed = new ChannelNotifier({ sms: new SnsSmsNotifier(), email: new SesEmailNotifier() });
    await routed.send(sms);
    await routed.send(email);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  });

  it('uses SNS/SES in AWS and the outbox locally', () => {
    const before = process.env.TESSERA_LOCAL;
    try {
      process.env.TESSERA_LOCAL = '0';
      resetConfig();
      setNotifier(undefined);
      expect(notifier()).toBeInstanceOf(ChannelNotifier);
      process.env.TESSERA_LOCAL = '1';
      resetConfig();
      setNotifier(undefined);
      expect(notifier()).toBeInstanceOf(OutboxNotifier);
    } finally {
      if (before === undefined) delete process.env.TESSERA_LOCAL;
      else process.env.TESSERA_LOCAL = before;
      resetConfig();
      setNotifier(undefined);
    }
  });
});
