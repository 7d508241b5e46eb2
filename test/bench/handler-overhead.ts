import { Agent, request } from 'node:http';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import { ddb } from '../../functions/lib/dynamodb.ts';
import { idempotencyKey } from '../support/keys.ts';
import { seedApprovals } from './orders.ts';
import { type BenchRow, benchShopper, httpCaller, percentile, pool, row, startBenchApp } from './support.ts';

type Recorded = { command: string; input: unknown };

export async function handlerOverheadBench(
  endpoint: string,
  { requests = 2000, concurrency = 8, block = 100 } = {},
) {
  const { runtime, merchant } = await startBenchApp(endpoint);
  const client = ddb();
  try {
    const shopper = await benchShopper(runtime.url);
    const [token] = await seedApprovals(merchant.id, shopper, 1);
    const created = await httpCaller(runtime.url).call<{ id: string }>('POST', '/v1/orders', {
      auth: merchant.apiKey,
      headers: { 'Idempotency-Key': idempotencyKey('bench') },
      body: { authorizationToken: token },
    });
    if (created.status !== 201) throw new Error(`POST /v1/orders answered ${created.status}`);

    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const url = new URL(`${runtime.url}/v1/orders/${created.json.id}`);
    const gatewayOnce = () =>
      new Promise<number>((resolve, reject) => {
        const t = performance.now();
        const req = request(
          url,
          { agent, headers: { Authorization: `Bearer ${merchant.apiKey}` } },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode !== 200) reject(new Error(`GET /v1/orders/{id} answered ${res.statusCode}`));
              else resolve(performance.now() - t);
            });
          },
        );
        req.on('error', reject);
        req.end();
      });

    // The commands one GET sends, as the SDK serializes them (after the document marshaller).
    const recorded: Recorded[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        recorded.push({ command: String(context.commandName), input: structuredClone(args.input) });
        return next(args);
      },
      { step: 'serialize', priority: 'high', name: 'bench-recorder' },
    );
    await gatewayOnce();
    client.middlewareStack.remove('bench-recorder');
    const commands = recorded.map(({ command, input }) => {
      const Ctor = (dynamodb as unknown as Record<string, new (i: unknown) => dynamodb.GetItemCommand>)[
        command
      ];
      if (!Ctor) throw new Error(`cannot replay ${command}`);
      return () => new Ctor(input);
    });
    const rawOnce = async () => {
      const t = performance.now();
      for (const make of commands) await client.send(make());
      return performance.now() - t;
    };

    await pool(100, concurrency, () => gatewayOnce());
    await pool(100, concurrency, () => rawOnce());
    const raw: number[] = [];
    const viaGateway: number[] = [];
    for (let done = 0; done < requests; done += block) {
      viaGateway.push(...(await pool(block, concurrency, () => gatewayOnce())));
      raw.push(...(await pool(block, concurrency, () => rawOnce())));
    }
    agent.destroy();
    const r = { p50: percentile(raw, 50), p99: percentile(raw, 99) };
    const g = { p50: percentile(viaGateway, 50), p99: percentile(viaGateway, 99) };
    return {
      wrapped: recorded.map((x) => x.command.replace(/Command$/, '')),
      raw: r,
      gateway: g,
      ratioP50: g.p50 / r.p50,
      ratioP99: g.p99 / r.p99,
    };
  } finally {
    await runtime.close();
  }
}

/** Entry for `npm run bench`. */
export async function run(endpoint: string): Promise<BenchRow[]> {
  process.stdout.write(
    'handler overhead: GET /v1/orders/{id} via the gateway vs its raw DynamoDB calls, 2,000 each at concurrency 8…\n',
  );
  const h = await handlerOverheadBench(endpoint);
  return [
    row('handler overhead', 'GET /v1/orders/{id} p50 / raw', h.ratioP50, 'x', {
      budget: 1.3,
      note: `${h.gateway.p50.toFixed(2)} vs ${h.raw.p50.toFixed(2)} ms; wraps ${h.wrapped.join(' + ')}`,
    }),
    row('handler overhead', 'GET /v1/orders/{id} p99 / raw', h.ratioP99, 'x', {
      budget: 1.3,
      note: `${h.gateway.p99.toFixed(2)} vs ${h.raw.p99.toFixed(2)} ms`,
    }),
  ];
}
