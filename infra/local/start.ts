// `npm start`: the whole system on this machine, no AWS account needed.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { consoleProgress } from './progress.ts';
import { startLocalRuntime } from './runtime.ts';

const dataDir = resolve(process.env.TESSERA_DATA_DIR ?? '.data');
const port = Number(process.env.PORT ?? 3000);
const dynamoPort = process.env.DYNAMODB_PORT ? Number(process.env.DYNAMODB_PORT) : undefined;
const progress = consoleProgress('tessera');

const started = performance.now();
const runtime = await startLocalRuntime({
  dataDir,
  port,
  dynamodb: { dbPath: join(dataDir, 'dynamodb'), ...(dynamoPort ? { port: dynamoPort } : {}) },
  seed: true,
  scheduler: true,
  // As deployed: merchant routes require the usage key issued at onboarding (TESSERA_MERCHANT_API_KEYS=0: off).
  merchantApiKeys: process.env.TESSERA_MERCHANT_API_KEYS !== '0',
  onProgress: progress,
}).catch((error: Error) => {
  process.stderr.write(`tessera: failed to start: ${error.message}\n`);
  process.exit(1);
});

const demo = runtime.demoMerchant;
const checkoutUrl = demo?.apiKey ? await demoCheckout(runtime.url, demo.apiKey, demo.usageKey) : undefined;
const keysRequired = process.env.TESSERA_MERCHANT_API_KEYS !== '0';
// Merchant routes need both keys: after the first start neither is shown again (rotation issues both).
const usageHeader = keysRequired ? ` -H "x-api-key: ${demo?.usageKey ?? '<demo usage key>'}"` : '';
const lines = [
  `tessera: listening on ${runtime.url} (ready in ${Math.round(performance.now() - started)} ms)`,
  `  DynamoDB Local:   ${runtime.dynamodbEndpoint} (data in ${join(dataDir, 'dynamodb')})`,
  `  operator token:   ${runtime.operatorTokenSource}`,
  `  scheduler jobs:   ${runtime.scheduler?.jobs.join(', ') || 'none registered'}`,
  `  demo merchant:    ${demo?.merchantId}`,
  demo?.apiKey
    ? `  demo API key:     ${demo.apiKey}   (shown this once; rotate with POST /v1/admin/merchants/${demo.merchantId}/keys)`
    : '  demo API key:     shown on the first start only; rotate it to get a new one',
  ...(demo?.usageKey
    ? [`  demo usage key:   ${demo.usageKey}   (x-api-key; shown this once, replaced on rotation)`]
    : keysRequired
      ? ['  demo usage key:   shown on the first start only; rotating the API key issues a new one too']
      : []),
  `  shopper portal:   ${runtime.url}/account`,
  checkoutUrl
    ? `  hosted checkout:  ${checkoutUrl}   (a demo session of USD 400.00; open it in a browser)`
    : '  hosted checkout:  POST /v1/checkout-sessions returns its url (see the README quickstart)',
  '',
  'try:',
  `  curl -s ${runtime.url}/v1/health`,
  `  curl -s ${runtime.url}/v1/config -H "Authorization: Bearer ${demo?.apiKey ?? '<demo API key>'}"${usageHeader}`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);

/** A demo checkout session of the seeded merchant, returning to the portal (loopback is allowed locally). */
async function demoCheckout(api: string, apiKey: string, usageKey?: string): Promise<string | undefined> {
  const res = await fetch(`${api}/v1/checkout-sessions`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${apiKey}`,
      ...(usageKey ? { 'x-api-key': usageKey } : {}),
      'Content-Type': 'application/json',
      'Idempotency-Key': `demo_${randomBytes(12).toString('hex').replace(/\d/g, 'x')}`,
    },
    body: JSON.stringify({
      amount: 40_000,
      currency: 'USD',
      merchantReference: 'demo-cart-1',
      successUrl: `${api}/account`,
      cancelUrl: `${api}/account`,
    }),
  }).catch(() => undefined);
  return res?.ok ? ((await res.json()) as { url: string }).url : undefined;
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`tessera: ${signal}, shutting down…\n`);
  await runtime.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
