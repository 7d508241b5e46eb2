/** Customer balance entry points: the balance with its ledger, and withdrawals to a saved card. */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { originHashes } from '../lib/origin.ts';
import { created, ok } from '../lib/use-case.ts';
import { cardProcessor } from '../payments/processor.ts';
import { customerAccess } from '../sessions/access.ts';
import { requireStepUp } from '../twofa/gate.ts';
import { getCard } from '../vault/access.ts';
import { getMyBalance } from './read.ts';
import { WithdrawalBody } from './schema.ts';
import { type WithdrawalPorts, withdraw } from './withdraw.ts';

const ports: WithdrawalPorts = {
  getCard,
  requireStepUp: (input) => requireStepUp(input),
  processor: cardProcessor,
};

export const getBalance = httpHandler({ auth: customerAccess }, async ({ principal }) =>
  ok(await getMyBalance(principal, clock())),
);

export const createWithdrawal = httpHandler(
  { auth: customerAccess, body: WithdrawalBody },
  async ({ principal, body, headers, event }) => {
    const who = { customerId: principal.customerId, origin: await originHashes(event, headers) };
    return created(await withdraw(who, body, headers, ports, clock()));
  },
);
