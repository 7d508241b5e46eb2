/** `GET /v1/me/balance`: the balance per currency and the ledger it is derived from. */
import type { Clock } from '../lib/clock.ts';
import { applyBalanceCredits } from './credits.ts';
import { balances, entries } from './ledger.ts';
import type { BalanceResponse } from './schema.ts';

export async function getMyBalance(
  principal: { customerId: string },
  clock: Clock,
): Promise<BalanceResponse> {
  await applyBalanceCredits(principal.customerId, clock);
  const ledger = await entries(principal.customerId);
  return {
    object: 'balance',
    balances: await balances(principal.customerId),
    entries: ledger.map(({ customerId: _c, ...entry }) => entry),
  };
}
