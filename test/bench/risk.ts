import { type AuthorizePorts, authorize } from '../../functions/checkout/authorize.ts';
import { clock } from '../../functions/lib/clock.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { assessRiskStaged, type RiskDecision, riskRefusal } from '../../functions/monitoring/risk.ts';
import { requireStepUp } from '../../functions/twofa/gate.ts';
import { getCard } from '../../functions/vault/access.ts';
import { idempotencyKey } from '../support/keys.ts';
import { type BenchRow, benchShopper, httpCaller, percentile, row, startBenchApp } from './support.ts';

const stubDecision = (): RiskDecision => ({
  id: 'rsk_stub',
  action: 'checkout',
  decision: 'approve',
  score: 0,
  fired: [],
  at: clock().now().toISOString(),
});

export async function run(endpoint: string, { pairs = 300 } = {}): Promise<BenchRow[]> {
  const saved = process.env.RISK_CONFIG;
  // Every rule runs and reads; the bench's checkouts fire no rule, so no total comes near a review.
  process.env.RISK_CONFIG = JSON.stringify({ reviewAt: 999, declineAt: 1000 });
  const { runtime, merchant } = await startBenchApp(endpoint);
  try {
    const app = httpCaller(runtime.url);
    const shopper = await benchShopper(runtime.url);
    const session = async () => {
      const res = await app.call<{ id: string; clientToken: string }>('POST', '/v1/checkout-sessions', {
        auth: merchant.apiKey,
        headers: { 'Idempotency-Key': idempotencyKey('bench') },
        body: { amount: 5_000, currency: 'USD', merchantReference: 'risk-bench' },
      });
      if (res.status !== 201)
        throw new Error(`POST /v1/checkout-sessions answered ${res.status} ${res.text}`);
      return res.json;
    };
    const ports = (withRisk: boolean): AuthorizePorts => ({
      getCard,
      requireStepUp: (input) => requireStepUp(input),
      assessRisk: withRisk
        ? (event) => assessRiskStaged({ ...event, deviceId: 'dev_bench', ipHash: 'ip_bench' }, clock())
        : async () => stubDecision(),
      riskRefusal,
    });
    const once = async (withRisk: boolean) => {
      const s = await session();
      const t = performance.now();
      await authorize(
        { customerId: shopper.customerId },
        s.id,
        { clientToken: s.clientToken, plan: 'pay_in_4', cardToken: shopper.cardToken },
        {},
        ports(withRisk),
        (items) => writeTransaction(items),
        clock(),
      );
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i += 1) await once(i % 2 === 0); // warm up both paths
    const withRisk: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < pairs; i += 1) {
      // Alternate which side goes first, too.
      if (i % 2 === 0) {
        without.push(await once(false));
        withRisk.push(await once(true));
      } else {
        withRisk.push(await once(true));
        without.push(await once(false));
      }
    }
    const p = (xs: number[], q: number) => percentile(xs, q);
    const note = (q: number) =>
      `${p(withRisk, q).toFixed(1)} ms vs ${p(without, q).toFixed(1)} ms, ${pairs} pairs`;
    return [
      row(
        'latency',
        'risk rules at checkout authorization, p50 ratio',
        p(withRisk, 50) / p(without, 50),
        'x',
        {
          budget: 1.3,
          note: note(50),
        },
      ),
      row(
        'latency',
        'risk rules at checkout authorization, p99 ratio',
        p(withRisk, 99) / p(without, 99),
        'x',
        {
          budget: 1.3,
          note: note(99),
        },
      ),
    ];
  } finally {
    await runtime.close();
    if (saved === undefined) delete process.env.RISK_CONFIG;
    else process.env.RISK_CONFIG = saved;
  }
}
