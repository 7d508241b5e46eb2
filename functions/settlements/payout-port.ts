/**
 * The PayoutProvider port: moves a payout's amount to the merchant's bank account (an ACH/SEPA
 * credit through a bank partner in production; the sandbox here). `send` is idempotent by
 * `payoutId`: sending the same payout again returns the first transfer, never a second one, so a
 * payout job that crashed after sending can safely send again. Never reaches its adapters.
 */
export interface PayoutInstruction {
  payoutId: string;
  merchantId: string;
  /** Positive integer minor units. */
  amount: number;
  currency: string;
}

export interface PayoutProvider {
  readonly name: string;
  /** Resolves with the provider's reference of the transfer once it is accepted. */
  send(instruction: PayoutInstruction): Promise<{ reference: string }>;
}
