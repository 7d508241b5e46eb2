import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { confirmContact, startContactVerification } from '../../functions/customers/contact-verification.ts';
import { customerContacts } from '../../functions/customers/contacts.ts';
import { register } from '../../functions/customers/registration.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { type Notification, setNotifier } from '../../functions/lib/notifier.ts';
import { resetSecrets } from '../../functions/lib/secrets.ts';
import { bindContacts } from '../../functions/twofa/contacts.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

const clock = fixedClock('2026-06-01T10:00:00.000Z');
const sent: Notification[] = [];
const LIMIT = 3;

beforeAll(async () => {
  const prefix = `rg${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    TESSERA_LOCAL: '1',
    TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-registration-')),
    REGISTRATIONS_PER_IP_PER_HOUR: String(LIMIT),
  });
  resetConfig();
  resetDdb();
  bindContacts(customerContacts);
  resetSecrets();
  setNotifier({ send: async (n) => void sent.push(n) });
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});
afterAll(() => setNotifier(undefined));

const password = 'Quiet-Lantern-Harbor-7';
const email = () => `reg-${randomBytes(4).toString('hex')}@example.com`;
const from = (ip: string) => ({ ip, userAgent: 'vitest' });

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('registration is rate limited per client IP', () => {
  it(`${LIMIT} registrations per IP per hour, taken emails included; then 429 with Retry-After until the hour ends`, async () => {
    clock.set('2026-06-01T10:20:00.000Z');
    const taken = email();
    await register({ email: taken, password }, from('198.51.100.1'), clock);
    await register({ email: email(), password }, from('198.51.100.1'), clock);
    // A taken email counts like a new one (and gets the same answer).
    await register({ email: taken, password }, from('198.51.100.1'), clock);

    for (const body of [
      { email: email(), password },
      { email: taken, password },
    ]) {
      const error = await rejection(register(body, from('198.51.100.1'), clock));
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 429 });
      // 40 minutes are left in the 10:00-11:00 window.
      expect((error as ApiError).headers?.['Retry-After']).toBe('2400');
    }
    // Another address is not affected.
    await expect(register({ email: email(), password }, from('198.51.100.2'), clock)).resolves.toMatchObject({
      object: 'customer',
    });
    // The next hour admits the first address again.
    clock.set('2026-06-01T11:00:00.000Z');
    await expect(register({ email: email(), password }, from('198.51.100.1'), clock)).resolves.toMatchObject({
      object: 'customer',
    });
  });

  it('a new, unverified address gets nothing; the owner of a taken email is told once the address is verified', async () => {
    clock.set('2026-06-01T14:00:00.000Z');
    const address = email();
    sent.length = 0;
    const first = await register({ email: address, password }, from('203.0.113.9'), clock);
    const second = await register({ email: address, password: `${password}-x` }, from('203.0.113.9'), clock);
    expect(second.id).not.toBe(first.id);
    expect(Object.keys(second).sort()).toEqual(Object.keys(first).sort());
    // Unverified: no welcome, no notice (the address may be someone else's).
    expect(sent).toEqual([]);

    const { challengeId } = await startContactVerification(first.id, 'email', clock);
    const code = /code is (\d{6})/.exec(sent[0]?.text ?? '')?.[1] ?? '';
    expect(sent.map((n) => [n.to, n.kind, n.reference])).toEqual([[address, 'one_time_code', challengeId]]);
    await confirmContact(first.id, { challengeId, code }, clock);
    sent.length = 0;
    await register({ email: address, password: `${password}-y` }, from('203.0.113.9'), clock);
    expect(sent.map((n) => [n.to, n.subject])).toEqual([
      [address, 'Someone tried to register with your email'],
    ]);
    expect(sent[0]?.customerId).toBe(first.id);
  });
});
