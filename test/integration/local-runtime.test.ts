import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startLocalRuntime } from '../../infra/local/runtime.ts';

/**
 * What `npm start` promises: one demo merchant, seeded once even across restarts (its key shown
 * only the first time), an operator token that persists, and data that survives a restart.
 */
it('seeds one demo merchant, keeps the operator token and the data across a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-start-'));
  const options = { dataDir, port: 0, dynamodb: { dbPath: join(dataDir, 'dynamodb') }, seed: true };

  const first = await startLocalRuntime(options);
  let created: { id: string; apiKey: string };
  try {
    expect(first.demoMerchant?.merchantId).toMatch(/^mer_/);
    expect(first.demoMerchant?.apiKey).toMatch(/^sk_test_/);
    expect(first.operatorTokenSource).toBe(join(dataDir, 'operator-token'));
    const health = await fetch(`${first.url}/v1/health`);
    expect(health.status).toBe(200);
    const res = await fetch(`${first.url}/v1/admin/merchants`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${first.operatorToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Survives restarts' }),
    });
    created = (await res.json()) as { id: string; apiKey: string };
    expect(res.status).toBe(201);
  } finally {
    await first.close();
  }

  const second = await startLocalRuntime(options);
  try {
    expect(second.demoMerchant).toEqual({ merchantId: first.demoMerchant?.merchantId });
    expect(second.operatorToken).toBe(first.operatorToken);
    const config = await fetch(`${second.url}/v1/config`, {
      headers: { Authorization: `Bearer ${created.apiKey}` },
    });
    expect(config.status).toBe(200);
  } finally {
    await second.close();
  }
}, 60_000);
