import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { confirmContact, startContactVerification } from '../../functions/customers/contact-verification.ts';
import { customerContacts } from '../../functions/customers/contacts.ts';
import { register } from '../../functions/customers/registration.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb, tableName } from '../../functions/lib/dynamodb.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { type Notification, setNotifier } from '../../functions/lib/notifier.ts';
import { resetSecrets } from '../../functions/lib/secrets.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { signSessionToken, verifySessionToken } from '../../functions/sessions/tokens.ts';
import { newLoginChallenge, startStepUp } from '../../functions/twofa/challenges.ts';
import { bindContacts } from '../../functions/twofa/contacts.ts';
import { confirmTotpEnrollment, startTotpEnrollment } from '../../functions/twofa/enrollment.ts';
import { consumeStepUp, requireStepUp } from '../../functions/twofa/gate.ts';
import { CHALLENGE_TTL_MS, STEP_UP_TTL_SECONDS, type StepUpAction } from '../../functions/twofa/policy.ts';
import type { StepUpBody } from '../../functions/twofa/schema.ts';
import { verifyStepUpToken } from '../../functions/twofa/tokens.ts';
import { totpAt, totpStep } from '../../functions/twofa/totp.ts';
import { checkChallenge, completeCheck, verifyStepUp } from '../../functions/twofa/verification.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

const clock = fixedClock('2026-04-01T10:00:00.000Z');
const sent: Notification[] = [];

beforeAll(async () => {
  const prefix = `tf${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    TESSERA_LOCAL: '1',
    TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-twofa-')),
  });
  resetConfig();
  resetDdb();
  resetSecrets();
  setNotifier({ send: async (n) => void sent.push(n) });
  bindContacts(customerContacts);
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});
afterAll(() => setNotifier(undefined));
beforeEach(() => {
  // Every test starts a day later: no guard or send window carries over.
  clock.advance(86_400_000 + 3_600_000);
});

const origin = { ip: '203.0.113.7', userAgent: 'vitest' };
let counter = 0;
/** A registered customer whose email is verified (only a verified address receives step-up codes). */
async function newCustomer() {
  counter++;
  const customer = await register(
    {
      email: `int-${counter}-${randomBytes(3).toString('hex')}@example.com`,
      password: `Quiet-Lantern-${counter}-Harbor`,
    },
    origin,
    clock,
  );
  const { challengeId } = await startContactVerification(customer.id, 'email', clock);
  await confirmContact(customer.id, { challengeId, code: codeOf(challengeId) }, clock);
  return customer;
}

/** The `enable_2fa` step-up that enrollment asks for (a one-time code to the customer's email). */
const enableApproval = (customerId: string) => async () => {
  const token = await stepUpToken(customerId, { action: 'enable_2fa' });
  return requireStepUp({ headers: { 'step-up-token': token }, customerId, action: 'enable_2fa' }, clock);
};

async function withTotp() {
  const customer = await newCustomer();
  const { secret } = await startTotpEnrollment(customer.id, enableApproval(customer.id), clock);
  const { recoveryCodes } = await confirmTotpEnrollment(
    { customerId: customer.id },
    await totpAt(secret, clock.now()),
    clock,
  );
  return { customer, secret, recoveryCodes };
}

async function loginChallenge(customerId: string) {
  const { challenge, item } = newLoginChallenge(customerId, clock);
  await expect(writeTransaction([item])).resolves.toBeUndefined();
  return challenge.id;
}

/** A TOTP code for a step later than the confirmation's (the code used there is spent). */
const nextStepCode = (secret: string) => totpAt(secret, new Date(clock.now().getTime() + 30_000));

const login = async (challengeId: string, proof: { code?: string; recoveryCode?: string }) => {
  const check = await checkChallenge({ challengeId, purpose: 'login', proof }, clock);
  await completeCheck(check, [], clock);
  return check;
};

const codeOf = (challengeId: string) => {
  const message = sent.find((n) => n.reference === challengeId);
  const code = message && /code is (\d{6})/.exec(message.text)?.[1];
  if (!code) throw new Error(`no code sent for ${challengeId}`);
  return code;
};

async function stepUpToken(customerId: string, body: StepUpBody) {
  const { challengeId } = await startStepUp(customerId, body, clock);
  return (await verifyStepUp(customerId, challengeId, { code: codeOf(challengeId) }, clock)).stepUpToken;
}

const apiError = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
};

describe('every code is accepted once', () => {
  it('a TOTP code that signed in is rejected on a second challenge (replay of the stored step)', async () => {
    const { customer, secret } = await withTotp();
    const code = await nextStepCode(secret);
    await login(await loginChallenge(customer.id), { code });
    const replay = await apiError(login(await loginChallenge(customer.id), { code }));
    expect(replay).toMatchObject({ status: 422, code: 'code_invalid' });
    const { Items = [] } = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `AUDIT#${customer.id}` },
      }),
    );
    expect(Items.find((i) => i.action === 'twofa.failed')).toMatchObject({ reason: 'replayed' });
    const { Item } = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: { pk: `CUSTOMER#${customer.id}`, sk: 'TWOFA' } }),
    );
    expect(Item?.lastUsedStep).toBe(totpStep(clock.now()) + 1);
  });

  it('the same TOTP code raced on two challenges wins exactly once', async () => {
    const { customer, secret } = await withTotp();
    const code = await nextStepCode(secret);
    const [a, b] = [await loginChallenge(customer.id), await loginChallenge(customer.id)];
    const results = await Promise.allSettled([login(a, { code }), login(b, { code })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ status: 422, code: 'code_invalid' });
  });

  it('a recovery code raced on two challenges wins exactly once, and is gone after', async () => {
    const { customer, recoveryCodes } = await withTotp();
    const recoveryCode = recoveryCodes[3] ?? '';
    const [a, b] = [await loginChallenge(customer.id), await loginChallenge(customer.id)];
    const results = await Promise.allSettled([login(a, { recoveryCode }), login(b, { recoveryCode })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const again = await apiError(login(await loginChallenge(customer.id), { recoveryCode }));
    expect(again).toMatchObject({ status: 422, code: 'code_invalid', param: 'recoveryCode' });
    // The others still work.
    await login(await loginChallenge(customer.id), { recoveryCode: recoveryCodes[4] ?? '' });
  });

  it('a step-up token is used once, and only in the transaction that commits it', async () => {
    const customer = await newCustomer();
    const token = await stepUpToken(customer.id, { action: 'add_card' });
    const headers = { 'step-up-token': token };
    const item = await requireStepUp({ headers, customerId: customer.id, action: 'add_card' }, clock);
    await consumeStepUp(item);
    // Still well signed and fresh, but spent.
    const again = await requireStepUp({ headers, customerId: customer.id, action: 'add_card' }, clock);
    expect(await apiError(consumeStepUp(again))).toMatchObject({ status: 403, code: 'step_up_invalid' });
  });
});

describe('checks per challenge', () => {
  it('the sixth check is rejected even when its code is right (TOTP)', async () => {
    const { customer, secret } = await withTotp();
    const challengeId = await loginChallenge(customer.id);
    for (let i = 1; i <= 5; i++) {
      // Waits between failures are the guard's business; step past them here.
      clock.advance(60_000);
      const error = await apiError(
        login(challengeId, { code: '000000' === (await nextStepCode(secret)) ? '000001' : '000000' }),
      );
      expect(error).toMatchObject({ status: 422, code: 'code_invalid' });
    }
    clock.advance(60_000);
    const sixth = await apiError(login(challengeId, { code: await nextStepCode(secret) }));
    expect(sixth).toMatchObject({ status: 422, code: 'challenge_attempts_exceeded' });
    const { Item } = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: { pk: `CHALLENGE#${challengeId}`, sk: 'CHALLENGE' } }),
    );
    expect(Item).toMatchObject({ attempts: 5, status: 'pending' });
  });

  it('an expired challenge fails even with the right code, and is not counted', async () => {
    const customer = await newCustomer();
    const { challengeId } = await startStepUp(customer.id, { action: 'change_contact' }, clock);
    clock.advance(CHALLENGE_TTL_MS);
    const error = await apiError(
      verifyStepUp(customer.id, challengeId, { code: codeOf(challengeId) }, clock),
    );
    expect(error).toMatchObject({ status: 422, code: 'challenge_expired' });
    const { Item } = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: { pk: `CHALLENGE#${challengeId}`, sk: 'CHALLENGE' } }),
    );
    expect(Item?.attempts).toBe(0);
  });

  it("another customer's challenge is not found", async () => {
    const alice = await newCustomer();
    const bob = await newCustomer();
    const { challengeId } = await startStepUp(alice.id, { action: 'add_card' }, clock);
    const error = await apiError(verifyStepUp(bob.id, challengeId, { code: codeOf(challengeId) }, clock));
    expect(error).toMatchObject({ status: 404, code: 'resource_missing' });
  });
});

describe('dynamic linking (PSD2): amount and payee', () => {
  const withdrawal = (amount: number, currency = 'USD', payee = 'bank_acct_1'): StepUpBody => ({
    action: 'withdrawal',
    amount: { amount, currency: currency as 'USD' },
    payee,
  });

  it('a token for 10000 USD minor units (100.00) does not approve 10001 (100.01), nor another currency or payee', async () => {
    const customer = await newCustomer();
    const token = await stepUpToken(customer.id, withdrawal(10000));
    const headers = { 'step-up-token': token };
    const gate = (
      over: Partial<{ action: StepUpAction; amount: { amount: number; currency: string }; payee?: string }>,
    ) =>
      requireStepUp(
        {
          headers,
          customerId: customer.id,
          action: 'withdrawal',
          amount: { amount: 10000, currency: 'USD' },
          payee: 'bank_acct_1',
          ...over,
        },
        clock,
      );
    for (const over of [
      { amount: { amount: 10001, currency: 'USD' } },
      { amount: { amount: 9999, currency: 'USD' } },
      { amount: { amount: 10000, currency: 'EUR' } },
      { payee: 'bank_acct_2' },
      { payee: undefined },
      { action: 'credit_application' as const },
    ]) {
      expect(await apiError(gate(over)), JSON.stringify(over)).toMatchObject({
        status: 403,
        type: 'permission_error',
        code: 'step_up_invalid',
      });
    }
    const other = await newCustomer();
    expect(
      await apiError(
        requireStepUp(
          {
            headers,
            customerId: other.id,
            action: 'withdrawal',
            amount: { amount: 10000, currency: 'USD' },
            payee: 'bank_acct_1',
          },
          clock,
        ),
      ),
    ).toMatchObject({ code: 'step_up_invalid' });
    // The exact binding passes.
    await consumeStepUp(await gate({}));
  });

  it('the code sent for a 100.00 challenge does not verify a 100.01 challenge', async () => {
    const customer = await newCustomer();
    const first = await startStepUp(customer.id, withdrawal(10000), clock);
    const second = await startStepUp(customer.id, withdrawal(10001), clock);
    const error = await apiError(
      verifyStepUp(customer.id, second.challengeId, { code: codeOf(first.challengeId) }, clock),
    );
    expect(error).toMatchObject({ status: 422, code: 'code_invalid' });
    expect(sent.find((n) => n.reference === second.challengeId)?.text).toContain('USD 100.01');
  });

  it('a step-up token expires after 5 minutes; a missing one is step_up_required', async () => {
    const customer = await newCustomer();
    const token = await stepUpToken(customer.id, { action: 'add_card' });
    clock.advance(STEP_UP_TTL_SECONDS * 1000 + 1000);
    expect(
      await apiError(
        requireStepUp(
          { headers: { 'step-up-token': token }, customerId: customer.id, action: 'add_card' },
          clock,
        ),
      ),
    ).toMatchObject({ code: 'step_up_invalid' });
    expect(
      await apiError(requireStepUp({ headers: {}, customerId: customer.id, action: 'add_card' }, clock)),
    ).toMatchObject({
      status: 403,
      type: 'permission_error',
      code: 'step_up_required',
    });
  });

  it('session and step-up tokens cannot stand in for each other', async () => {
    const customer = await newCustomer();
    const stepUp = await stepUpToken(customer.id, { action: 'add_card' });
    const { token: session } = await signSessionToken(
      { customerId: customer.id, sessionId: 'ses_01ARZ3NDEKTSV4RRFFQ69G5FAV' },
      clock.now(),
    );
    expect(await verifySessionToken(stepUp, clock.now())).toBeUndefined();
    expect(await verifyStepUpToken(session, clock.now())).toBeUndefined();
    expect(await verifySessionToken(session, clock.now())).toMatchObject({ customerId: customer.id });
  });
});
