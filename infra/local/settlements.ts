import { recordLedgerEntries } from '../../functions/settlements/feed-handler.ts';
import { setLocalLedgerCatchUp } from '../../functions/settlements/payouts.ts';
import { type StreamPoller, startStreamPoller } from './streams.ts';

export type { StreamPoller };

/**
 * Feeds the merchant ledger from the main table's stream, as the stream's Lambda does in AWS: on a
 * timer when the runtime runs its scheduler (npm start), and always right before a payout run, so a
 * payout never misses a capture the API already answered.
 */
export function startLedgerFeed(endpoint: string, tableName: string, poll: boolean): StreamPoller {
  const poller = startStreamPoller({
    endpoint,
    tableName,
    handler: recordLedgerEntries,
    ...(poll ? { everyMs: 1_000 } : {}),
    log: (line) => process.stderr.write(`[ledger-feed] ${line}\n`),
  });
  setLocalLedgerCatchUp(() => poller.drain());
  return poller;
}
