/**
 * Checkout budget (ARCHITECTURE.md "Performance budgets"): `POST /v1/orders`, in-process against
 * DynamoDB Local, over 1,000 orders. Reports p50/p99 latency of the Lambda handler (event in, result
 * out: auth, idempotency claim, the approval read, the one transaction) and counts the DynamoDB and
 * KMS calls each request makes. Budget: at most one TransactWriteItems plus at most two single-item
 * reads, and no KMS call. (The Idempotency-Key claim is a conditional PutItem of the kernel, counted
 * and reported separately.)
 *
 * `npm run bench` calls `run(endpoint)`; `node test/bench/orders.ts` runs it on its own.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { mintApproval } from '../../functions/checkout/approval.ts';
import { putSessionItem, sha256 } from '../../functions/checkout/store.ts';
import { ddb } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { keyService } from '../../functions/lib/key-service.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { percentile, startBenchApp } from './support.ts';

export interface OrdersBenchResult {
  orders: number;
  p50: number;
  p99: number;
  /** DynamoDB commands per POST /v1/orders, by command name (averaged over the run). */
  callsPerOrder: Record<string, number>;
  kmsCalls: number;
}

/** Seeds `n` approvals (session + authorization) the way checkout writes them, and returns their tokens. */
async function seedApprovals(merchantId: string, n: number): Promise<string[]> {
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
        customerId: 'cus_BENCH',
        plan: 'pay_in_4',
        amount: 40_000,
        currency: 'USD',
        cardToken: 'tok_BENCH',
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

export async function ordersBench(endpoint: string, n = 1000): Promise<OrdersBenchResult> {
  const { runtime, merchant } = await startBenchApp(endpoint);
  try {
    const warmup = 50;
    const tokens = await seedApprovals(merchant.id, n + warmup);
    const { createOrder } = await import('../../functions/orders/create-handler.ts');

    const calls: string[] = [];
    let counting = false;
    ddb().middlewareStack.add(
      (next, context) => async (args) => {
        if (counting) calls.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'orders-bench-counter' },
    );
    let kmsCalls = 0;
    const keys = keyService() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const method of [
      'generateDataKey',
      'decryptDataKey',
      'unwrapDataKey',
      'reWrap',
      'encrypt',
      'decrypt',
    ]) {
      const original = keys[method]?.bind(keys);
      if (!original) continue;
      keys[method] = (...args: unknown[]) => {
        if (counting) kmsCalls += 1;
        return original(...args);
      };
    }

    const once = async (token: string) => {
      const event = {
        httpMethod: 'POST',
        path: '/v1/orders',
        resource: '/v1/orders',
        headers: {
          Authorization: `Bearer ${merchant.apiKey}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': `bench-${randomBytes(8).toString('hex')}`,
        },
        body: JSON.stringify({ authorizationToken: token }),
        queryStringParameters: null,
        pathParameters: null,
        requestContext: { requestId: `req_bench_${randomBytes(6).toString('hex')}` },
      } as unknown as APIGatewayProxyEvent;
      const t = performance.now();
      const result = await createOrder(event, {} as Context);
      const ms = performance.now() - t;
      if (result.statusCode !== 201)
        throw new Error(`POST /v1/orders answered ${result.statusCode}: ${result.body}`);
      return ms;
    };

    for (const token of tokens.slice(0, warmup)) await once(token);
    const latencies: number[] = [];
    counting = true;
    for (const token of tokens.slice(warmup)) latencies.push(await once(token));
    counting = false;
    ddb().middlewareStack.remove('orders-bench-counter');

    const totals: Record<string, number> = {};
    for (const name of calls) totals[name] = (totals[name] ?? 0) + 1;
    const callsPerOrder = Object.fromEntries(
      Object.entries(totals).map(([name, count]) => [name, count / n]),
    );
    return {
      orders: n,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      callsPerOrder,
      kmsCalls,
    };
  } finally {
    await runtime.close();
  }
}

/** Entry for `npm run bench` (test/bench/run.ts). */
export async function run(endpoint: string): Promise<void> {
  process.stdout.write('checkout: POST /v1/orders in-process against DynamoDB Local (1,000 orders)…\n');
  const r = await ordersBench(endpoint);
  const per = (name: string) => r.callsPerOrder[name] ?? 0;
  const transactions = per('TransactWriteItemsCommand');
  const reads = per('GetItemCommand') + per('QueryCommand');
  const total = Object.values(r.callsPerOrder).reduce((a, b) => a + b, 0);
  process.stdout.write(`  p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms\n`);
  process.stdout.write(
    `  DynamoDB calls per order: ${Object.entries(r.callsPerOrder)
      .map(([name, count]) => `${name.replace(/Command$/, '')} ${count.toFixed(2)}`)
      .join(', ')} (total ${total.toFixed(2)}); KMS calls: ${r.kmsCalls}\n`,
  );
  const ok = transactions <= 1 && reads <= 2 && r.kmsCalls === 0;
  process.stdout.write(
    `  ${ok ? 'ok  ' : 'OVER'} ${transactions.toFixed(2)} transaction + ${reads.toFixed(2)} single-item reads, ${r.kmsCalls} KMS (budget 1 + 2, 0 KMS)\n`,
  );
  if (!ok) process.exitCode = 1;
}

if (import.meta.main) {
  const { startDynamoDbLocal } = await import('../../infra/local/dynamodb-local.ts');
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  try {
    await run(dynamo.endpoint);
  } finally {
    await dynamo.stop();
  }
}
