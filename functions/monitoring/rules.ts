/**
 * The risk rules: each a small pure function of an event and the aggregates read for it, returning
 * a score and a reason when it fires. Thresholds and scores come from ./config.ts. Sources: Stripe
 * Radar's velocity rules, Marble's scored rules, PSD2 RTS Art. 2 (transaction monitoring: abnormal
 * spending, unusual location or device, compromised credentials) and Art. 18 (risk analysis).
 *
 * Counts include the event being assessed ("the 6th checkout in an hour"); a rule fires when its
 * value reaches the configured threshold, and not one below.
 */
import type { AggregateAdd, AggregateRef } from './aggregates.ts';
import type { RiskConfig, RuleName } from './config.ts';
import type { WindowEstimate } from './windows.ts';

/** Actions assessed in real time (the caller acts on the decision). */
export type RiskAction =
  | 'checkout'
  | 'sign_in'
  | 'add_card'
  | 'withdrawal'
  | 'credit_application'
  | 'otp_send';
/** Facts recorded for later rules, with no decision of their own. */
export type RiskSignal = 'twofa_failure' | 'security_change' | 'card_decline';

/** An assessed action. Entity ids are hashes or prefixed ids, never personal data in clear. */
export interface RiskEvent {
  action: RiskAction;
  customerId: string;
  /** The amount in USD-equivalent minor units (checkout, withdrawal, credit application). */
  amountUsdMinor?: number;
  /** The card's keyed fingerprint (vault), not its token: one card across tokens and customers. */
  cardFingerprint?: string;
  /** The saved card's token: a flagged card is looked up by it only when no fingerprint is known. */
  cardToken?: string;
  /** Keyed hashes (customers/origin.ts). */
  deviceId?: string;
  ipHash?: string;
  phoneHash?: string;
}

export interface SignalEvent {
  signal: RiskSignal;
  customerId?: string;
  cardFingerprint?: string;
  ipHash?: string;
  /** Names the fact, so that recording it again (a retried charge's decline) counts it once. */
  eventId?: string;
}

export interface Fired {
  rule: RuleName;
  score: number;
  /** What was seen, for operators; never personal data. */
  reason: string;
}

type Estimates = ((ref: AggregateRef) => WindowEstimate) & { cardFlagged?: boolean };

const customer = (
  e: { customerId?: string },
  metric: AggregateRef['metric'],
  window: AggregateRef['window'],
) => (e.customerId ? [{ dimension: 'customer' as const, id: e.customerId, metric, window }] : []);
const on = (
  dimension: AggregateRef['dimension'],
  id: string | undefined,
  metric: AggregateRef['metric'],
  window: AggregateRef['window'],
): AggregateRef[] => (id ? [{ dimension, id, metric, window }] : []);

const MONEY: readonly RiskAction[] = ['checkout', 'withdrawal', 'credit_application'];
const MONEY_OUT: readonly RiskAction[] = ['withdrawal', 'credit_application'];

/** The aggregates an assessment of `event` reads (all in one BatchGetItem). */
export function aggregatesRead(event: RiskEvent): AggregateRef[] {
  const refs: AggregateRef[] = [];
  if (event.action === 'checkout') {
    refs.push(...customer(event, 'checkouts', '1h'), ...customer(event, 'checkouts', '24h'));
    refs.push(...customer(event, 'checkouts', '90d'));
  }
  if (event.action === 'checkout' || event.action === 'add_card') {
    refs.push(...customer(event, 'cards', '7d'), ...on('card', event.cardFingerprint, 'customers', '30d'));
    refs.push(
      ...on('card', event.cardFingerprint, 'declines', '1h'),
      ...on('ip', event.ipHash, 'declines', '1h'),
    );
  }
  if (event.action === 'checkout' || event.action === 'sign_in') {
    refs.push(
      ...on('device', event.deviceId, 'customers', '24h'),
      ...on('ip', event.ipHash, 'customers', '24h'),
    );
    refs.push(...customer(event, 'devices', '90d'));
  }
  if (event.action === 'sign_in') refs.push(...customer(event, 'twofaFailures', '1h'));
  if (event.action === 'otp_send') refs.push(...on('phone', event.phoneHash, 'otpSends', '1h'));
  if (MONEY_OUT.includes(event.action)) refs.push(...customer(event, 'securityChanges', '72h'));
  // new_device_high_amount: the devices the customer signed in or checked out from.
  if (MONEY_OUT.includes(event.action) && event.deviceId) refs.push(...customer(event, 'devices', '90d'));
  if (event.action === 'credit_application') refs.push(...customer(event, 'creditApplications', '30d'));
  return refs;
}

/** What an assessed event adds to the aggregates (recorded whatever the decision: attempts count). */
export function aggregatesAdded(event: RiskEvent): AggregateAdd[] {
  const { customerId } = event;
  const adds: AggregateAdd[] = [];
  if (event.action === 'checkout') {
    const sum = event.amountUsdMinor ?? 0;
    for (const window of ['1h', '24h', '90d'] as const) {
      adds.push({ dimension: 'customer', id: customerId, metric: 'checkouts', window, sum });
    }
  }
  if ((event.action === 'checkout' || event.action === 'add_card') && event.cardFingerprint) {
    adds.push({
      dimension: 'customer',
      id: customerId,
      metric: 'cards',
      window: '7d',
      member: event.cardFingerprint,
    });
    adds.push({
      dimension: 'card',
      id: event.cardFingerprint,
      metric: 'customers',
      window: '30d',
      member: customerId,
    });
  }
  if (event.action === 'checkout' || event.action === 'sign_in') {
    if (event.deviceId) {
      adds.push({
        dimension: 'device',
        id: event.deviceId,
        metric: 'customers',
        window: '24h',
        member: customerId,
      });
      adds.push({
        dimension: 'customer',
        id: customerId,
        metric: 'devices',
        window: '90d',
        member: event.deviceId,
      });
    }
    if (event.ipHash) {
      adds.push({
        dimension: 'ip',
        id: event.ipHash,
        metric: 'customers',
        window: '24h',
        member: customerId,
      });
    }
  }
  if (event.action === 'otp_send' && event.phoneHash) {
    adds.push({ dimension: 'phone', id: event.phoneHash, metric: 'otpSends', window: '1h' });
  }
  if (event.action === 'credit_application') {
    adds.push({ dimension: 'customer', id: customerId, metric: 'creditApplications', window: '30d' });
  }
  return adds;
}

/** What a signal adds to the aggregates. */
export function signalAdded(event: SignalEvent): AggregateAdd[] {
  switch (event.signal) {
    case 'twofa_failure':
      return customer(event, 'twofaFailures', '1h');
    case 'security_change':
      return customer(event, 'securityChanges', '72h');
    case 'card_decline':
      return [
        ...on('card', event.cardFingerprint, 'declines', '1h'),
        ...on('ip', event.ipHash, 'declines', '1h'),
      ];
  }
}

type Rule = (event: RiskEvent, get: Estimates, config: RiskConfig) => Fired | undefined;

const fire = (rule: RuleName, config: RiskConfig, reason: string): Fired => ({
  rule,
  score: config.rules[rule].score,
  reason,
});

const RULES: Readonly<Record<RuleName, Rule>> = {
  checkout_velocity_1h: (e, get, c) => {
    if (e.action !== 'checkout') return undefined;
    const n = get({ dimension: 'customer', id: e.customerId, metric: 'checkouts', window: '1h' }).count + 1;
    return n > c.rules.checkout_velocity_1h.max
      ? fire('checkout_velocity_1h', c, `${n} checkouts by the customer within 1 h`)
      : undefined;
  },
  checkout_velocity_24h: (e, get, c) => {
    if (e.action !== 'checkout') return undefined;
    const n = get({ dimension: 'customer', id: e.customerId, metric: 'checkouts', window: '24h' }).count + 1;
    return n > c.rules.checkout_velocity_24h.max
      ? fire('checkout_velocity_24h', c, `${n} checkouts by the customer within 24 h`)
      : undefined;
  },
  amount_spike: (e, get, c) => {
    if (e.action !== 'checkout' || e.amountUsdMinor === undefined) return undefined;
    const history = get({ dimension: 'customer', id: e.customerId, metric: 'checkouts', window: '90d' });
    const { ratio, minHistory } = c.rules.amount_spike;
    if (history.count < minHistory) return undefined;
    const average = history.sum / history.count;
    return e.amountUsdMinor >= ratio * average
      ? fire('amount_spike', c, `amount ${(e.amountUsdMinor / average).toFixed(1)}x the 90-day average`)
      : undefined;
  },
  many_cards_per_customer: (e, get, c) => {
    if (!e.cardFingerprint || (e.action !== 'checkout' && e.action !== 'add_card')) return undefined;
    const cards = new Set(
      get({ dimension: 'customer', id: e.customerId, metric: 'cards', window: '7d' }).values,
    );
    cards.add(e.cardFingerprint);
    return cards.size >= c.rules.many_cards_per_customer.min
      ? fire('many_cards_per_customer', c, `${cards.size} distinct cards within 7 days`)
      : undefined;
  },
  shared_card: (e, get, c) => {
    if (!e.cardFingerprint || e.action !== 'checkout') return undefined;
    const customers = new Set(
      get({ dimension: 'card', id: e.cardFingerprint, metric: 'customers', window: '30d' }).values,
    );
    customers.add(e.customerId);
    return customers.size >= c.rules.shared_card.min
      ? fire('shared_card', c, `the card is used by ${customers.size} customers within 30 days`)
      : undefined;
  },
  shared_device_or_ip: (e, get, c) => {
    if (e.action !== 'checkout' && e.action !== 'sign_in') return undefined;
    let most = 0;
    for (const [dimension, id] of [
      ['device', e.deviceId],
      ['ip', e.ipHash],
    ] as const) {
      if (!id) continue;
      const customers = new Set(get({ dimension, id, metric: 'customers', window: '24h' }).values);
      customers.add(e.customerId);
      most = Math.max(most, customers.size);
    }
    return most >= c.rules.shared_device_or_ip.min
      ? fire('shared_device_or_ip', c, `a device or IP used by ${most} customers within 24 h`)
      : undefined;
  },
  twofa_failure_burst: (e, get, c) => {
    if (e.action !== 'sign_in') return undefined;
    const n = get({ dimension: 'customer', id: e.customerId, metric: 'twofaFailures', window: '1h' }).count;
    return n >= c.rules.twofa_failure_burst.min
      ? fire('twofa_failure_burst', c, `${n} second-factor failures within 1 h`)
      : undefined;
  },
  otp_send_abuse: (e, get, c) => {
    if (e.action !== 'otp_send' || !e.phoneHash) return undefined;
    const n = get({ dimension: 'phone', id: e.phoneHash, metric: 'otpSends', window: '1h' }).count + 1;
    return n >= c.rules.otp_send_abuse.min
      ? fire('otp_send_abuse', c, `${n} one-time codes to one phone within 1 h`)
      : undefined;
  },
  new_device_high_amount: (e, get, c) => {
    if (!MONEY.includes(e.action) || !e.deviceId || e.amountUsdMinor === undefined) return undefined;
    const known = get({ dimension: 'customer', id: e.customerId, metric: 'devices', window: '90d' }).values;
    // A customer with no device history at all has no "usual" device to differ from.
    if (known.size === 0 || known.has(e.deviceId)) return undefined;
    return e.amountUsdMinor >= c.rules.new_device_high_amount.minAmountUsdMinor
      ? fire('new_device_high_amount', c, 'a high amount from a device not seen in 90 days')
      : undefined;
  },
  security_change_then_money_out: (e, get, c) => {
    if (!MONEY_OUT.includes(e.action)) return undefined;
    const n = get({
      dimension: 'customer',
      id: e.customerId,
      metric: 'securityChanges',
      window: '72h',
    }).count;
    return n > 0
      ? fire(
          'security_change_then_money_out',
          c,
          `a contact or 2FA change within ${c.rules.security_change_then_money_out.withinHours} h`,
        )
      : undefined;
  },
  card_testing: (e, get, c) => {
    if (e.action !== 'checkout' && e.action !== 'add_card') return undefined;
    const byCard = e.cardFingerprint
      ? get({ dimension: 'card', id: e.cardFingerprint, metric: 'declines', window: '1h' }).count
      : 0;
    const byIp = e.ipHash
      ? get({ dimension: 'ip', id: e.ipHash, metric: 'declines', window: '1h' }).count
      : 0;
    const n = Math.max(byCard, byIp);
    return n >= c.rules.card_testing.min
      ? fire('card_testing', c, `${n} declines on the card or IP within 1 h`)
      : undefined;
  },
  flagged_card: (e, get, c) =>
    e.action === 'checkout' && get.cardFlagged
      ? fire('flagged_card', c, 'the card was flagged by a fraud-confirmed dispute')
      : undefined,
  repeated_credit_applications: (e, get, c) => {
    if (e.action !== 'credit_application') return undefined;
    const n =
      get({ dimension: 'customer', id: e.customerId, metric: 'creditApplications', window: '30d' }).count + 1;
    return n >= c.rules.repeated_credit_applications.min
      ? fire('repeated_credit_applications', c, `${n} credit applications within 30 days`)
      : undefined;
  },
};

/** Every rule that fires for `event`, in the catalogue's order. */
export function evaluateRules(event: RiskEvent, get: Estimates, config: RiskConfig): Fired[] {
  return (Object.keys(RULES) as RuleName[])
    .map((name) => RULES[name](event, get, config))
    .filter((fired): fired is Fired => fired !== undefined);
}
