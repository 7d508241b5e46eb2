/**
 * The request fields that do not refuse a card number, keyed `operationId:location.path`: one list
 * for the route-table walk (test/unit/pan-free-inputs.test.ts proves every other string refuses
 * one) and the fuzz (test/reliability/fuzz.test.ts sends a card number into any other leaf and
 * expects a 400).
 */

/**
 * Fields that must accept a card number or never store what they receive, with the reason.
 * Keyed `operationId:location.path`.
 */
export const EXEMPT: Record<string, string> = {
  'addCard:body.number': 'the PAN itself: validated, then stored only in the vault, encrypted',
  'registerCustomer:body.password': 'hashed (scrypt) at once; never stored, logged or echoed',
  'createSession:body.password': 'compared with the stored hash; never stored, logged or echoed',
  'changePassword:body.currentPassword': 'compared with the stored hash; never stored, logged or echoed',
  'changePassword:body.newPassword': 'hashed (scrypt) at once; never stored, logged or echoed',
  'confirmPasswordReset:body.password': 'hashed (scrypt) at once; never stored, logged or echoed',
};

/**
 * Fields that keep what a person typed, card numbers MASKED instead of refused (`maskedText()`:
 * support messages must be answered, functions/lib/secret-text.ts). Their parsed value, the only one
 * the handler sees, must hold no card number in any written form.
 */
export const MASKED: Record<string, string> = {
  'openMySupportConversation:body.subject': 'support subject: masked, then sealed',
  'openMySupportConversation:body.message': 'support message: masked, then sealed',
  'postMySupportMessage:body.message': 'support message: masked, then sealed',
  'adminReplySupportConversation:body.message': 'operator reply: masked, then sealed',
};
