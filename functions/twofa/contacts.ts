/**
 * The port through which 2FA learns where to reach a customer: one-time codes go to the phone (SMS)
 * or email, security alerts and the authenticator's account name use the email. 2FA does not own
 * customers; the entry point binds the adapter (customers' `customerContacts`) once at load.
 */
import { sendSecurityAlert } from '../lib/security-alert.ts';

export interface CustomerContact {
  customerId: string;
  email: string;
  /** E.164, when the customer gave one. */
  phone?: string;
  /** Proven by a one-time code sent to it; only a verified address receives codes and alerts. */
  emailVerified: boolean;
  phoneVerified: boolean;
}

/** Where one-time codes may go: verified addresses only, SMS first (the phone is the stronger possession). */
export function codeChannels(contact: CustomerContact): Array<'sms' | 'email'> {
  return [
    ...(contact.phone && contact.phoneVerified ? (['sms'] as const) : []),
    ...(contact.emailVerified ? (['email'] as const) : []),
  ];
}

/** The verified address of `channel`; undefined when the customer has none there (no code may go). */
export function verifiedAddress(contact: CustomerContact, channel: 'sms' | 'email'): string | undefined {
  if (channel === 'sms') return contact.phoneVerified ? contact.phone : undefined;
  return contact.emailVerified ? contact.email : undefined;
}

export interface ContactDirectory {
  /** The customer's contact details; undefined when there is no such customer. */
  find(customerId: string): Promise<CustomerContact | undefined>;
}

let bound: ContactDirectory | undefined;

/** Binds the directory 2FA reads contacts from; entry points call it at module load. */
export function bindContacts(directory: ContactDirectory): void {
  bound = directory;
}

/** The bound directory; throws (a programming error) when no entry point bound one. */
export function contacts(): ContactDirectory {
  if (!bound) throw new Error('twofa: no contact directory bound (call bindContacts in the entry point)');
  return bound;
}

/** A best-effort security alert to the customer's email (see lib/security-alert.ts). */
export async function securityAlert(customerId: string, subject: string, text: string): Promise<void> {
  const contact = await contacts().find(customerId);
  if (contact) await sendSecurityAlert(contact, subject, text);
}
