/**
 * The sandbox payout provider: accepts every positive payout, and answers the same reference for the
 * same payout id however often it is sent (the idempotency a bank partner's API gives by key).
 */
import { createHash } from 'node:crypto';
import type { PayoutInstruction, PayoutProvider } from './payout-port.ts';

export const sandboxPayoutProvider: PayoutProvider = {
  name: 'sandbox',
  async send(instruction: PayoutInstruction) {
    if (!Number.isSafeInteger(instruction.amount) || instruction.amount <= 0) {
      throw new Error('a payout is a positive integer of minor units');
    }
    const digest = createHash('sha256').update(instruction.payoutId).digest('hex').slice(0, 24);
    return { reference: `sandbox_tr_${digest}` };
  },
};
