import { logger } from './logger.ts';
import { emailNotifier } from './notifier.ts';

/** Who a security alert goes to: the account's email address. */
export interface AlertRecipient {
  customerId: string;
  email: string;
  /** Only a verified address is written to: an unverified one may belong to someone else. */
  emailVerified: boolean;
}

/**
 * Emails the account owner about a security event (sign-in from a new device, a lock, a 2FA
 * change). Best effort: a lost alert must not undo or fail the action it reports (the audit trail
 * has it anyway), so a send failure is logged and swallowed. An unverified email gets nothing
 * (docs/adr/0017-verified-contacts.md): the alert is logged as not sent.
 */
export async function sendSecurityAlert(to: AlertRecipient, subject: string, text: string): Promise<void> {
  if (!to.emailVerified) {
    logger.info('security alert not sent: the email is not verified', { customerId: to.customerId, subject });
    return;
  }
  try {
    await emailNotifier().send({
      customerId: to.customerId,
      channel: 'email',
      to: to.email,
      subject,
      text,
      kind: 'security_alert',
    });
  } catch (error) {
    logger.warn('security alert not sent', { customerId: to.customerId, subject, error: String(error) });
  }
}
