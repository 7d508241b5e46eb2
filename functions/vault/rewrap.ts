import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as processClock } from '../lib/clock.ts';
import { config } from '../lib/config.ts';
import { vaultTableName } from '../lib/dynamodb.ts';
import { badRequest } from '../lib/errors.ts';
import { writeTransaction } from '../lib/transactions.ts';
import type { EnvelopeRecord } from './envelope.ts';
import { ensureWrapKeyRegistered, vaultCipher } from './service.ts';
import * as store from './store.ts';

export interface RewrapOptions {
  /** The wrapping key to move to (its current version); defaults to the vault key. */
  targetKeyId?: string;
  /** Records per Query page. */
  pageSize?: number;
  /** Stop after examining this many records, to stay inside a function timeout; run again to go on. */
  maxRecords?: number;
  /** Who runs it, for the audit record. */
  actor?: string;
  clock?: Clock;
}

export interface RewrapReport {
  examined: number;
  rewrapped: number;
  /** Records left alone: deleted or changed meanwhile. */
  skipped: number;
  /** ReEncrypt calls made: one per distinct data key, not per record. */
  kmsCalls: number;
  /** False when `maxRecords` stopped the run early. */
  done: boolean;
}

/** The wrapping keys the vault may use: the configured vault key (`VAULT_KEY_ID`). */
export const configuredVaultKeys = (): string[] => [config().VAULT_KEY_ID];

/**
 * Moves every vault record whose data key is wrapped under an older key version (or another key)
 * to `targetKeyId`'s current version. KMS ReEncrypt does the work, so the data key is never
 * exposed and the PAN is never decrypted; ciphertext, IV and tag stay as they are. Records are
 * found by Querying the per-version lists (`WRAP#…`), never by a Scan, and each move is one
 * conditional transaction, so the run can be interrupted and re-run at any point.
 *
 * `targetKeyId` must be a configured vault key (`configuredVaultKeys`), else 400 `vault_key_not_configured`.
 *
 * Data keys are shared by up to 1,000 records, so re-wrapped keys are reused within a run: the
 * number of KMS calls follows the number of data keys, not of cards.
 */
export async function rewrapAll(options: RewrapOptions = {}): Promise<RewrapReport> {
  const clock = options.clock ?? processClock();
  const targetKeyId = options.targetKeyId ?? config().VAULT_KEY_ID;
  assertConfiguredVaultKey(targetKeyId);
  const pageSize = options.pageSize ?? 100;
  const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
  const cipher = vaultCipher();
  const report: RewrapReport = { examined: 0, rewrapped: 0, skipped: 0, kmsCalls: 0, done: true };
  const rewrapped = new Map<string, Promise<EnvelopeRecord>>();

  outer: for (const { keyId, keyVersion } of await store.listWrapKeys()) {
    for (let shard = 0; shard < store.WRAP_SHARDS; shard++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        if (report.examined >= maxRecords) {
          report.done = false;
          break outer;
        }
        const page = await store.wrapListPage(
          keyId,
          keyVersion,
          shard,
          Math.min(pageSize, maxRecords - report.examined),
          startKey,
        );
        for (const token of page.tokens) {
          report.examined++;
          const card = await store.getCardItem(token);
          if (card?.status !== 'active' || card.keyId !== keyId || card.keyVersion !== keyVersion) {
            await store.dropWrapMember(keyId, keyVersion, token);
            report.skipped++;
            continue;
          }
          let next = rewrapped.get(card.wrappedKey);
          if (!next) {
            next = cipher.rewrap(card, targetKeyId);
            rewrapped.set(card.wrappedKey, next);
            report.kmsCalls++;
          }
          const moved = await next;
          if (moved.keyId === keyId && moved.keyVersion === keyVersion) {
            // This version IS the target's current one: everything listed under it is up to date.
            report.examined--;
            continue outer;
          }
          await ensureWrapKeyRegistered(moved.keyId, moved.keyVersion, clock);
          if (await store.applyRewrap(card, moved, clock.now().toISOString())) report.rewrapped++;
          else report.skipped++;
        }
        startKey = page.next;
      } while (startKey);
    }
  }

  await auditRewrap(report, targetKeyId, options.actor ?? 'system:rewrap', clock);
  return report;
}

/** Only a configured vault key: any other id would move every card under a key nobody manages. */
function assertConfiguredVaultKey(targetKeyId: string): void {
  if (!configuredVaultKeys().includes(targetKeyId)) {
    throw badRequest(
      'vault_key_not_configured',
      'targetKeyId must be a configured vault key.',
      'targetKeyId',
    );
  }
}

/** One audit record per run, in the vault table, with the run's counts. */
async function auditRewrap(report: RewrapReport, targetKeyId: string, actor: string, clock: Clock) {
  await writeTransaction([
    auditItem(
      { action: 'vault.rewrapped', subject: 'vault', actor, metadata: { targetKeyId, ...report } },
      clock,
      vaultTableName(),
    ),
  ]);
}
