/**
 * Tokenization (POST /v1/me/cards) in the handler, in process: the whole middy chain (auth with its
 * session read, step-up check, validation, HMAC fingerprint, dedupe read, AES-GCM under the cached
 * data key, one TransactWriteItems) against DynamoDB Local, without the HTTP hop; step-up tokens
 * are fetched beforehand, outside the timing. Reports p50/p99, the key service (KMS) calls per
 * 1,000 tokenizations, and DynamoDB calls per tokenization. Was test/e2e/vault-latency.test.ts.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ddb } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { luhnValid } from '../../functions/vault/card.ts';
import { addCard } from '../../functions/vault/handler.ts';
import type { TestApp } from '../support/app.ts';
import { registerCustomer, stepUp } from '../support/customers.ts';
import {
  type BenchRow,
  ddbCounter,
  httpCaller,
  keyCounter,
  percentile,
  perOperation,
  row,
  startBenchApp,
} from './support.ts';

const WARM_UP = 8;

/** Distinct valid Visa numbers: 15 digits and the Luhn check digit. */
function visa(i: number): string {
  const partial = `4000${String(i).padStart(11, '0')}`;
  for (let d = 0; d <= 9; d++) if (luhnValid(`${partial}${d}`)) return `${partial}${d}`;
  throw new Error('unreachable');
}

function event(session: string, stepUpToken: string, number: string): APIGatewayProxyEvent {
  return {
    resource: '/v1/me/cards',
    path: '/v1/me/cards',
    httpMethod: 'POST',
    headers: {
      Authorization: `Bearer ${session}`,
      'Step-Up-Token': stepUpToken,
      'Content-Type': 'application/json',
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify({ number, expMonth: 8, expYear: 2031, cvc: '739' }),
    isBase64Encoded: false,
    requestContext: { requestId: newId('request'), resourcePath: '/v1/me/cards', httpMethod: 'POST' },
  } as unknown as APIGatewayProxyEvent;
}

const context = { callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => 29_000 } as Context;
const handler = addCard as unknown as (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;

export async function vaultBench(endpoint: string, requests = 100) {
  const { runtime } = await startBenchApp(endpoint);
  const app = httpCaller(runtime.url) as TestApp;
  const counter = ddbCounter(ddb());
  const keys = keyCounter();
  try {
    // One-time code sends are limited to 5 per customer per 15 minutes: 4 step-ups per shopper,
    // each used straight away (a step-up token is short-lived; preparing all first let them expire).
    const timings: number[] = [];
    for (let i = 0; i < requests + WARM_UP; ) {
      // Registration and step-ups are not tokenization: not counted.
      counter.pause();
      keys.pause();
      const tokens: string[] = [];
      const { sessionToken } = await registerCustomer(app);
      for (let j = 0; j < 4; j++) tokens.push(await stepUp(app, sessionToken, 'add_card'));
      if (i >= WARM_UP) {
        counter.resume();
        keys.resume();
      }
      for (const token of tokens) {
        if (i >= requests + WARM_UP) break;
        // Warm-up (module init, the first data key, connections) is neither timed nor counted.
        if (i === WARM_UP) {
          counter.start();
          keys.start();
        }
        const start = performance.now();
        const result = await handler(event(sessionToken, token, visa(i)), context);
        const elapsed = performance.now() - start;
        if (result.statusCode !== 201)
          throw new Error(`tokenize answered ${result.statusCode}: ${result.body}`);
        if (i >= WARM_UP) timings.push(elapsed);
        i++;
      }
    }
    return {
      requests,
      p50: percentile(timings, 50),
      p99: percentile(timings, 99),
      kmsPerThousand: (keys.stop() / requests) * 1000,
      perTokenization: perOperation(counter.stop(), requests),
    };
  } finally {
    counter.detach();
    keys.detach();
    await runtime.close();
  }
}

export async function run(endpoint: string): Promise<BenchRow[]> {
  process.stdout.write('vault: 100 tokenizations in the handler…\n');
  const r = await vaultBench(endpoint);
  return [
    // ARCHITECTURE.md: at most one KMS call per 1,000 new cards (the data key is cached).
    row('cost per operation', 'tokenize: KMS calls per 1,000', r.kmsPerThousand, 'calls', {
      budget: 1,
      note: `measured over ${r.requests}`,
    }),
    row('cost per operation', 'tokenize: DynamoDB calls', r.perTokenization.total, 'calls'),
    row('latency', 'tokenize in handler p50', r.p50, 'ms', { note: 'absolute, machine-dependent' }),
    row('latency', 'tokenize in handler p99', r.p99, 'ms', { note: 'absolute, machine-dependent' }),
  ];
}
