import { Agent, request } from 'node:http';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../../functions/lib/dynamodb.ts';
import { hashApiKey } from '../../functions/merchants/service.ts';
import { percentile, startBenchApp } from './support.ts';

/**
 * Handler overhead budget: p50/p99 of `GET /v1/config` through the local gateway (HTTP, event
 * building, middy, merchant auth = one consistent GetItem) against the raw DynamoDB Local round trip
 * it wraps (the same GetItem), interleaved in the same run.
 *
 * 3,000 pairs: with 1,000, each p99 is the 10th-worst sample on a shared, noisy machine, and nine
 * runs of one unchanged build gave p99 ratios from 0.85x to 1.68x. With 3,000 (the 30th-worst),
 * nine runs stayed within 1.00x-1.22x. The p50s barely move.
 */
export async function handlerOverheadBench(endpoint: string, requests = 3000) {
  const {
    runtime,
    merchant: { apiKey },
  } = await startBenchApp(endpoint);
  try {
    const key = { pk: `APIKEY#${hashApiKey(apiKey)}`, sk: 'APIKEY' };
    const raw: number[] = [];
    const viaGateway: number[] = [];
    const rawOnce = async () => {
      const t = performance.now();
      await ddb().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
      return performance.now() - t;
    };
    // Same client transport as the SDK's (node:http with keep-alive), so only the wrapper is measured.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(`${runtime.url}/v1/config`);
    const gatewayOnce = () =>
      new Promise<number>((resolve, reject) => {
        const t = performance.now();
        const req = request(url, { agent, headers: { Authorization: `Bearer ${apiKey}` } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`GET /v1/config answered ${res.statusCode}`));
            else resolve(performance.now() - t);
          });
        });
        req.on('error', reject);
        req.end();
      });
    for (let i = 0; i < 50; i++) {
      await rawOnce();
      await gatewayOnce();
    }
    for (let i = 0; i < requests; i++) {
      raw.push(await rawOnce());
      viaGateway.push(await gatewayOnce());
    }
    const r = { p50: percentile(raw, 50), p99: percentile(raw, 99) };
    const g = { p50: percentile(viaGateway, 50), p99: percentile(viaGateway, 99) };
    return { raw: r, gateway: g, ratioP50: g.p50 / r.p50, ratioP99: g.p99 / r.p99 };
  } finally {
    await runtime.close();
  }
}
