/**
 * Test merchants. Every merchant starts `pending_review` (only `active` takes payments), so the
 * fixtures say what they need: an ACTIVE merchant, approved by the operator (an audited action, as
 * in production), over HTTP or, for integration tests without a gateway, through the use cases.
 */
import { expect } from 'vitest';
import type { Clock } from '../../functions/lib/clock.ts';
import { setStatus } from '../../functions/merchants/compliance.ts';
import type { CreateMerchantBody } from '../../functions/merchants/schema.ts';
import { createMerchant } from '../../functions/merchants/service.ts';
import type { TestApp } from './app.ts';
import { rememberUsageKey } from './usage-keys.ts';

export interface TestMerchant {
  id: string;
  apiKey: string;
  /** The `x-api-key` issued with it where the gateway requires usage keys (`TestApp.call` sends it). */
  usageKey?: string;
  status: string;
}

/** Creates a merchant over HTTP as the operator; `active: false` leaves it `pending_review`. */
export async function merchantOverHttp(
  app: TestApp,
  body: Record<string, unknown> = { name: 'Shop' },
  options: { active?: boolean } = {},
): Promise<TestMerchant> {
  const res = await app.call<TestMerchant>('POST', '/v1/admin/merchants', { auth: app.operator, body });
  expect(res.status, res.text).toBe(201);
  if (options.active === false) return res.json;
  const activated = await app.call<{ status: string }>(
    'POST',
    `/v1/admin/merchants/${res.json.id}/activate`,
    {
      auth: app.operator,
    },
  );
  expect(activated.status, activated.text).toBe(200);
  return { ...res.json, status: activated.json.status };
}

/** Creates and activates a merchant through the use cases (integration tests). */
export async function createActiveMerchant(input: CreateMerchantBody, clock: Clock) {
  const created = await createMerchant(input, clock, 'system:test-fixture');
  // Where a local gateway requires usage keys, `TestApp.call` sends this one with the secret key.
  rememberUsageKey(created.apiKey, created.usageKey);
  const active = await setStatus(created.id, 'active', clock, 'system:test-fixture');
  return { ...created, ...active };
}
