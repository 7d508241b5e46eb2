import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditCounter, countMetric, METRIC_NAMES } from '../../functions/lib/metrics.ts';

describe('business and security counters (EMF through Powertools Metrics)', () => {
  let writes: string[];
  beforeEach(() => {
    writes = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  });

  it('writes one EMF line per count in Lambda, in the namespace and dimensions the alarms read', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'tessera-test-fn';
    countMetric('SignInLocked');
    countMetric('ChargeDeclinedHard', 2);
    const lines = writes
      .filter((w) => w.includes('"_aws"'))
      .map((w) => JSON.parse(w) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    const [locked, declined] = lines;
    expect(locked).toMatchObject({ SignInLocked: 1, service: 'tessera', stage: expect.any(String) });
    expect(declined).toMatchObject({ ChargeDeclinedHard: 2 });
    const aws = locked?._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
    expect(aws.CloudWatchMetrics[0]?.Namespace).toBe('Tessera');
    expect(aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'stage']));
  });

  it('writes nothing outside Lambda (tests, the local runtime)', () => {
    countMetric('SignInLocked');
    expect(writes.filter((w) => w.includes('"_aws"'))).toEqual([]);
  });

  it('counts the audited security actions, and nothing else', () => {
    expect(auditCounter('customer.locked')).toBe('SignInLocked');
    expect(auditCounter('twofa.failed')).toBe('TwoFactorFailed');
    expect(auditCounter('vault.detokenize_failed')).toBe('DetokenizeFailed');
    expect(auditCounter('customer.signed_out')).toBeUndefined();
    for (const action of ['customer.locked', 'twofa.failed', 'vault.detokenized', 'checkout.authorized']) {
      expect(METRIC_NAMES).toContain(auditCounter(action));
    }
  });
});
