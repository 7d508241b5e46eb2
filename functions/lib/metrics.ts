/**
 * Business and security counters as CloudWatch embedded metric format (EMF) log lines, through
 * Powertools Metrics: namespace `Tessera`, dimensions `service` and `stage`. CloudWatch turns the
 * log line into the metric, so counting costs no API call; the dashboard and the security alarms
 * (infra/constructs/monitoring.ts) read these names.
 *
 * Each count is published at once (a single-metric line), so no handler needs a flush middleware,
 * and the Metrics object is built on the first count only: a function that counts nothing pays
 * nothing at cold start. Outside Lambda (tests, the local runtime) nothing is written.
 */
import { Metrics, type Metrics as MetricsType, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Every counter Tessera emits; the infra reads the same list (one name, one meaning). */
export const METRIC_NAMES = [
  // Checkout funnel
  'CheckoutAuthorized',
  // Collection results (every charge through the payments face)
  'ChargeSucceeded',
  'ChargeDeclinedSoft',
  'ChargeDeclinedHard',
  // Security events
  'SignInFailed',
  'SignInLocked',
  'TwoFactorFailed',
  'TwoFactorLocked',
  'RegistrationRefused',
  'CardDetokenized',
  'DetokenizeFailed',
  // Account monitoring: every flag raised, and those of high severity (they hold withdrawals)
  'RiskFlagRaised',
  'RiskFlagRaisedHigh',
  // Operations
  'WebhookDeliveryDead',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const METRIC_NAMESPACE = 'Tessera';

let metrics: MetricsType | undefined;

/** Adds `value` (default 1) to a counter. Never throws: a lost count must not fail the request. */
export function countMetric(name: MetricName, value = 1): void {
  if (!process.env.AWS_LAMBDA_FUNCTION_NAME) return;
  try {
    metrics ??= new Metrics({
      namespace: METRIC_NAMESPACE,
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'tessera',
      defaultDimensions: { stage: process.env.STAGE ?? 'local' },
    });
    metrics.singleMetric().addMetric(name, MetricUnit.Count, value);
  } catch {
    // Metrics are best effort by design.
  }
}

/**
 * The counter an audit action feeds, if any: audited actions are the security events (sign-in
 * failures and locks, 2FA failures and locks, detokenization), so counting them at the audit
 * kernel covers every capability that audits them.
 */
const AUDIT_COUNTERS: Readonly<Record<string, MetricName>> = {
  'customer.sign_in_failed': 'SignInFailed',
  'customer.locked': 'SignInLocked',
  'customer.registration_refused': 'RegistrationRefused',
  'twofa.failed': 'TwoFactorFailed',
  'twofa.locked': 'TwoFactorLocked',
  'vault.detokenized': 'CardDetokenized',
  'vault.detokenize_failed': 'DetokenizeFailed',
  'checkout.authorized': 'CheckoutAuthorized',
};

export function auditCounter(action: string): MetricName | undefined {
  return AUDIT_COUNTERS[action];
}
