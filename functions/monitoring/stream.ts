/**
 * Asynchronous monitoring: the rules that need history across entities, applied to the main table's
 * change stream (DynamoDB Streams, NEW_IMAGE). The real-time rules (./rules.ts) judge the action in
 * front of them; these look at what the action left behind:
 *
 * - An aggregate of distinct customers per card fingerprint (30 days), device or IP (24 h) that
 *   reaches its rule's threshold raises ONE flag for that entity and bucket, naming every customer
 *   involved: the customers who shared the card before the last one also need a look.
 * - A second-factor lock (`twofa.locked`) or a password lock (`customer.locked`) in the audit trail
 *   raises a flag for that customer.
 * - A checkout's risk decision rides on the approval it rests on (./staged.ts, ADR 0030): when that
 *   item is inserted, the decision's record is stored and the checkout's aggregate additions are
 *   applied here, once per decision. (A `riskDecision` record that carries `aggregates`, as staged
 *   before ADR 0030, is still counted.)
 * - The audit trail is also where the real-time rules learn of security changes (password, contact,
 *   2FA settings: `security_change`) and of second-factor failures (`twofa_failure`): the
 *   capabilities that make them audit them already, and need not know monitoring exists.
 *
 * Flags are deduplicated by key, so a redelivered batch raises nothing twice.
 */
import type { Clock } from '../lib/clock.ts';
import { type AggregateAdd, recordAggregates } from './aggregates.ts';
import { riskConfig } from './config.ts';
import { raiseFlag } from './flags.ts';
import { type RiskSignal, signalAdded } from './rules.ts';
import { CARRIED_ATTRIBUTE, recordCarried } from './staged.ts';
import { distinctValues } from './windows.ts';

/** The part of a stream record's new image these rules read (unmarshalled). */
export type StreamImage = Record<string, unknown>;

const LOCKS: Readonly<Record<string, string>> = {
  'twofa.locked': 'twofa_lock',
  'customer.locked': 'password_lock',
};

/** Audited actions the real-time rules count, as the signal they are. */
const SIGNALS: Readonly<Record<string, RiskSignal>> = {
  'customer.password_changed': 'security_change',
  'customer.password_reset': 'security_change',
  'customer.contact_changed': 'security_change',
  'twofa.enrolled': 'security_change',
  'twofa.disabled': 'security_change',
  'twofa.recovery_codes_regenerated': 'security_change',
  'twofa.failed': 'twofa_failure',
};

/** Counts an audited security change or second-factor failure (at the audit's time). */
async function countSignal(image: StreamImage): Promise<void> {
  const signal = SIGNALS[String(image.action)];
  const customerId = String(image.subject ?? '');
  if (!signal || !customerId.startsWith('cus_')) return;
  const at = Date.parse(String(image.at ?? ''));
  if (Number.isNaN(at)) return;
  const eventId = String(image.id ?? '');
  await recordAggregates(
    signalAdded({ signal, customerId }).map((add) => ({ ...add, ...(eventId ? { eventId } : {}) })),
    at,
  );
}

/**
 * Applies the aggregate additions of a decision record staged before ADR 0030 (each named by the
 * decision id); decision records written since carry none.
 */
async function countDecision(image: StreamImage): Promise<void> {
  const adds = image.aggregates;
  const at = Date.parse(String(image.at ?? ''));
  if (!Array.isArray(adds) || adds.length === 0 || Number.isNaN(at)) return;
  await recordAggregates(adds as AggregateAdd[], at);
}

/** The threshold rule of a distinct-customers aggregate item, if it is one. */
function sharedEntityRule(image: StreamImage): { rule: string; min: number; entity: string } | undefined {
  const pk = String(image.pk ?? '');
  const sk = String(image.sk ?? '');
  const config = riskConfig().rules;
  if (pk.startsWith('RISK#card#') && sk.startsWith('customers#30d#')) {
    return { rule: 'shared_card', min: config.shared_card.min, entity: 'card' };
  }
  if ((pk.startsWith('RISK#device#') || pk.startsWith('RISK#ip#')) && sk.startsWith('customers#24h#')) {
    return {
      rule: 'shared_device_or_ip',
      min: config.shared_device_or_ip.min,
      entity: pk.split('#')[1] ?? '',
    };
  }
  return undefined;
}

/**
 * Applies the asynchronous rules to one new image (`change`: the stream record's event name; a
 * carried decision is taken on INSERT only, as the event filter does in AWS). Returns the flag
 * raised, if any. Throws on infrastructure errors (the batch reports the record as failed and the
 * stream retries it).
 */
export async function monitorChange(
  image: StreamImage,
  clock: Clock,
  change: 'INSERT' | 'MODIFY' | 'REMOVE' = 'INSERT',
): Promise<string | undefined> {
  // A decision made while monitoring was on is stored and counted even if it was switched off since.
  if (image[CARRIED_ATTRIBUTE] !== undefined) {
    if (change === 'INSERT') await recordCarried(image[CARRIED_ATTRIBUTE]);
    return undefined;
  }
  if (!riskConfig().enabled) return undefined;
  if (image.type === 'riskDecision') {
    await countDecision(image);
    return undefined;
  }
  if (image.type === 'riskAggregate') {
    const rule = sharedEntityRule(image);
    const members = distinctValues((image.events as Iterable<string> | undefined) ?? []);
    if (!rule || members.length < rule.min) return undefined;
    const flag = await raiseFlag(
      {
        // One flag per entity and bucket: later members of the same bucket add nothing new.
        dedupeKey: `${String(image.pk)}#${String(image.sk)}`,
        severity: 'medium',
        rule: rule.rule,
        evidence: {
          entity: rule.entity,
          entityHash: String(image.pk).split('#')[2] ?? '',
          customers: members.join(','),
          count: members.length,
        },
      },
      clock,
    );
    return flag?.id;
  }
  // An INSERT only: a signal is counted once per audit record (audit records are never modified).
  if (image.type === 'audit' && typeof image.action === 'string' && SIGNALS[image.action]) {
    await countSignal(image);
    return undefined;
  }
  if (image.type === 'audit' && typeof image.action === 'string' && LOCKS[image.action]) {
    const customerId = String(image.subject ?? '');
    const flag = await raiseFlag(
      {
        dedupeKey: `audit#${String(image.id)}`,
        severity: 'medium',
        rule: LOCKS[image.action] ?? image.action,
        ...(customerId.startsWith('cus_') ? { customerId } : {}),
        evidence: { auditId: String(image.id ?? ''), action: image.action },
      },
      clock,
    );
    return flag?.id;
  }
  return undefined;
}
