import { mintApproval } from '../../functions/checkout/approval.ts';
import { putSessionItem, sha256 } from '../../functions/checkout/store.ts';
import { ddb } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { idempotencyKey } from '../support/keys.ts';
import {
  type BenchRow,
  benchShopper,
  type DdbCost,
  ddbCounter,
  httpCaller,
  keyCounter,
  perOperation,
  pool,
  row,
  startBenchApp,
} from './support.ts';

const CONCURRENCY = 8;

export interface OrdersBenchResult {
  orders: number;
  perOrder: DdbCost;
  perCapture: DdbCost;
  kmsPerOrder: number;
  kmsPerCapture: number;
  ordersPerSecond: number;
  capturesPerSecond: number;
}

/** Seeds `n` approvals (session + authorization) the way checkout writes them, and returns their tokens. */
export async function seedApprovals(
  merchantId: string,
  shopper: { customerId: string; cardToken: string },
  n: number,
): Promise<string[]> {
  const tokens: string[] = [];
  const now = Date.now();
  const batch: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const sessionId = newId('checkoutSession');
    const at = new Date(now).toISOString();
    const expiresAtMs = now + 3_600_000;
    const approval = mintApproval(
      {
        merchantId,
        livemode: false,
        checkoutSessionId: sessionId,
        merchantReference: `bench-${i}`,
        customerId: shopper.customerId,
        plan: 'pay_in_4',
        amount: 40_000,
        currency: 'USD',
        cardToken: shopper.cardToken,
        cardBrand: 'visa',
        cardLast4: '4242',
      },
      new Date(now),
    );
    tokens.push(approval.token);
    batch.push(
      writeTransaction([
        putSessionItem({
          id: sessionId,
          merchantId,
          livemode: false,
          amount: 40_000,
          currency: 'USD',
          merchantReference: `bench-${i}`,
          plans: ['pay_in_4'],
          clientTokenHash: sha256(`${sessionId}_secret_bench`),
          status: 'open',
          expiresAt: new Date(expiresAtMs).toISOString(),
          expiresAtMs,
          createdAt: at,
          updatedAt: at,
          version: 1,
          ttl: Math.floor(expiresAtMs / 1000),
        }),
        approval.item,
      ]),
    );
    if (batch.length === 25) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  return tokens;
}

export async function ordersBench(endpoint: string, n = 500): Promise<OrdersBenchResult> {
  const { runtime, merchant } = await startBenchApp(endpoint);
  const api = httpCaller(runtime.url);
  const counter = ddbCounter(ddb());
  const keys = keyCounter();
  try {
    const shopper = await benchShopper(runtime.url);
    const warmup = 20;
    const tokens = await seedApprovals(merchant.id, shopper, n + warmup);
    const post = async (path: string, body: unknown, status: number) => {
      const res = await api.call<{ id: string }>('POST', path, {
        auth: merchant.apiKey,
        headers: { 'Idempotency-Key': idempotencyKey('bench') },
        body,
      });
      if (res.status !== status) throw new Error(`POST ${path} answered ${res.status}: ${res.text}`);
      return res.json.id;
    };
    const createOrder = (token: string) => post('/v1/orders', { authorizationToken: token }, 201);
    const capture = (id: string) => post(`/v1/orders/${id}/captures`, { amount: 40_000 }, 201);
    for (const id of await pool(warmup, CONCURRENCY, (i) => createOrder(tokens[i] ?? ''))) await capture(id);

    counter.start();
    keys.start();
    let t = performance.now();
    const ids = await pool(n, CONCURRENCY, (i) => createOrder(tokens[warmup + i] ?? ''));
    const ordersSeconds = (performance.now() - t) / 1000;
    const perOrder = perOperation(counter.stop(), n);
    const kmsPerOrder = keys.stop() / n;

    counter.start();
    keys.start();
    t = performance.now();
    await pool(n, CONCURRENCY, (i) => capture(ids[i] ?? ''));
    const capturesSeconds = (performance.now() - t) / 1000;
    const perCapture = perOperation(counter.stop(), n);
    const kmsPerCapture = keys.stop() / n;
    return {
      orders: n,
      perOrder,
      perCapture,
      kmsPerOrder,
      kmsPerCapture,
      ordersPerSecond: n / ordersSeconds,
      capturesPerSecond: n / capturesSeconds,
    };
  } finally {
    counter.detach();
    keys.detach();
    await runtime.close();
  }
}

const calls = (cost: DdbCost) =>
  Object.entries(cost.calls)
    .map(([name, count]) => `${name.replace(/Command$/, '')} ${count.toFixed(2)}`)
    .join(', ');

/** Entry for `npm run bench` (test/bench/run.ts): the rows of the table. */
export async function run(endpoint: string): Promise<BenchRow[]> {
  process.stdout.write('orders: 500 orders then 500 captures over HTTP at concurrency 8…\n');
  const r = await ordersBench(endpoint);
  const per = (name: string) => r.perOrder.calls[name] ?? 0;
  const S = 'cost per operation';
  return [
    row(S, 'POST /v1/orders: DynamoDB calls', r.perOrder.total, 'calls', { note: calls(r.perOrder) }),
    row(S, 'POST /v1/orders: TransactWriteItems', per('TransactWriteItemsCommand'), 'calls', { budget: 1 }),
    row(S, 'POST /v1/orders: single-item reads', per('GetItemCommand') + per('QueryCommand'), 'calls', {
      budget: 2,
    }),
    row(S, 'POST /v1/orders: read units', r.perOrder.readUnits, 'RCU'),
    row(S, 'POST /v1/orders: write units', r.perOrder.writeUnits, 'WCU'),
    row(S, 'POST /v1/orders: KMS calls', r.kmsPerOrder, 'calls', { budget: 0 }),
    row(S, 'capture: DynamoDB calls', r.perCapture.total, 'calls', { note: calls(r.perCapture) }),
    row(S, 'capture: read units', r.perCapture.readUnits, 'RCU'),
    row(S, 'capture: write units', r.perCapture.writeUnits, 'WCU'),
    row(S, 'capture: KMS calls', r.kmsPerCapture, 'calls'),
    row('throughput', 'orders created', r.ordersPerSecond, '/s', { note: 'HTTP, concurrency 8' }),
    row('throughput', 'captures (first installment charged)', r.capturesPerSecond, '/s', {
      note: 'HTTP, concurrency 8',
    }),
  ];
}

if (import.meta.main) {
  const { startDynamoDbLocal } = await import('../../infra/local/dynamodb-local.ts');
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  try {
    console.table(await run(dynamo.endpoint));
  } finally {
    await dynamo.stop();
  }
}
