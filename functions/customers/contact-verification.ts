/**
 * Proving an address by a one-time code sent to it (docs/adr/0017-verified-contacts.md):
 * - verifying the email or phone already on the account: until then it gets no one-time code and
 *   no security alert;
 * - changing the email or phone: behind a `change_contact` step-up, the code goes to the NEW address,
 *   which replaces the old one (verified) only when its code comes back; the old address is told.
 * The code, its send limits, its checks per challenge and the 2FA lockout are 2FA's challenges.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { domainError, unauthorized } from '../lib/errors.ts';
import { notifier } from '../lib/notifier.ts';
import { sendSecurityAlert } from '../lib/security-alert.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { checkChallenge, completeCheck, startContactChallenge } from '../twofa/gate.ts';
import { contactOf } from './contacts.ts';
import { getProfile } from './profile.ts';
import type { ContactChangeBody } from './schema.ts';
import type { ContactKind, CustomerRecord } from './store.ts';
import * as store from './store.ts';

async function requireCustomer(customerId: string): Promise<CustomerRecord> {
  const customer = await store.getCustomer(customerId);
  if (!customer) throw unauthorized('The session has ended.', 'session_invalid');
  return customer;
}

const addressOf = (customer: CustomerRecord, kind: ContactKind) =>
  kind === 'email' ? customer.email : customer.phone;
const isVerified = (customer: CustomerRecord, kind: ContactKind) =>
  kind === 'email' ? customer.emailVerifiedAt !== undefined : customer.phoneVerifiedAt !== undefined;

/**
 * Sends a code to the customer's current email or phone. Throws 401 (account gone), 422
 * `contact_missing` (no phone), 409 `contact_already_verified`, and 2FA's send errors (429, 503).
 */
export async function startContactVerification(
  customerId: string,
  kind: ContactKind,
  clock: Clock = defaultClock(),
) {
  const customer = await requireCustomer(customerId);
  const address = addressOf(customer, kind);
  if (address === undefined) {
    throw domainError('rejected', 'contact_missing', 'The account has no phone number.', 'contact');
  }
  if (isVerified(customer, kind)) {
    throw domainError('conflict', 'contact_already_verified', `Your ${kind} is already verified.`);
  }
  return startContactChallenge({ customerId, kind, address, action: 'verify_contact' }, clock);
}

/**
 * Starts a change of email or phone: `approve` yields the `change_contact` step-up item (used up
 * with the new challenge), and a code goes to the new address. Nothing changes until that code
 * comes back. Throws 422 `contact_unchanged`, the gate's 403s, and 2FA's send errors.
 */
export async function startContactChange(
  customerId: string,
  body: ContactChangeBody,
  approve: () => Promise<TransactItem>,
  clock: Clock = defaultClock(),
) {
  const customer = await requireCustomer(customerId);
  const kind: ContactKind = body.email !== undefined ? 'email' : 'phone';
  const address = body.email ?? body.phone ?? '';
  if (address === addressOf(customer, kind)) {
    throw domainError('rejected', 'contact_unchanged', `That is already your ${kind}.`, kind);
  }
  const stepUp = await approve();
  return startContactChallenge({ customerId, kind, address, action: 'change_contact', stepUp }, clock);
}

/**
 * Answers a contact challenge with its code: the address is verified (or, for a change, becomes the
 * account's, verified). Throws 2FA's check errors (404, 422, 429), 409 `contact_changed` (the
 * address changed since the code was sent), 409 `email_unavailable` (another account took the new
 * email) and 409 `concurrent_update`. Returns the profile.
 */
export async function confirmContact(
  customerId: string,
  input: { challengeId: string; code: string },
  clock: Clock = defaultClock(),
) {
  const check = await checkChallenge(
    { challengeId: input.challengeId, purpose: 'contact', customerId, proof: { code: input.code } },
    clock,
  );
  const { challenge } = check;
  const kind: ContactKind = challenge.channel === 'sms' ? 'phone' : 'email';
  const address = challenge.target ?? '';
  const customer = await requireCustomer(customerId);
  const at = clock.now().toISOString();
  const change = challenge.action === 'change_contact';
  if (!change && addressOf(customer, kind) !== address) {
    throw domainError('conflict', 'contact_changed', `Your ${kind} changed since the code was sent.`);
  }
  if (change && kind === 'email' && (await store.findCustomerIdByEmail(address)) !== undefined) {
    throw domainError('conflict', 'email_unavailable', 'Another account uses this email.');
  }
  const items = change
    ? store.changeContactItems(customer, kind, address, at)
    : [store.verifyContactItem(customer, kind, address, at)];
  const audit = auditItem(
    {
      action: change ? 'customer.contact_changed' : 'customer.contact_verified',
      subject: customerId,
      actor: customerId,
      metadata: { contact: kind, challengeId: challenge.id },
    },
    clock,
  );
  await completeCheck(check, [...items, audit], clock);
  if (change) await tellOldAddress(customer, kind, address);
  return getProfile(customerId);
}

/** Masks an address for a notice: `a***@example.com`, `***0123`. */
function masked(kind: ContactKind, address: string): string {
  if (kind === 'phone') return `***${address.slice(-4)}`;
  const at = address.lastIndexOf('@');
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}

/**
 * Tells the account's previous address about a change: the old email (if it was verified), and for
 * a phone, the old phone by SMS (if it was verified) and the email. Best effort, like every alert.
 */
async function tellOldAddress(before: CustomerRecord, kind: ContactKind, address: string): Promise<void> {
  const subject =
    kind === 'email' ? 'Your Tessera email was changed' : 'Your Tessera phone number was changed';
  const text =
    `The ${kind === 'email' ? 'email address' : 'phone number'} of your Tessera account was changed to ` +
    `${masked(kind, address)}. If this was not you, contact support now.`;
  await sendSecurityAlert(contactOf(before), subject, text);
  if (kind === 'phone' && before.phone && before.phoneVerifiedAt) {
    await notifier()
      .send({
        customerId: before.id,
        channel: 'sms',
        to: before.phone,
        subject,
        text,
        kind: 'security_alert',
      })
      .catch(() => undefined);
  }
}
