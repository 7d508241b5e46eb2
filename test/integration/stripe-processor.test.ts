import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../functions/lib/errors.ts';
import {
  cardProcessor,
  ProcessorConfigurationError,
  setCardProcessor,
} from '../../functions/payments/processor.ts';
import { processorChoice } from '../../functions/payments/processor-config.ts';
import type { ChargeRequest } from '../../functions/payments/processor-port.ts';
import type { Detokenize } from '../../functions/payments/sandbox.ts';
import { KEY_METADATA, OutcomePendingError, StripeProcessor } from '../../functions/payments/stripe.ts';
import { mapStripeDecline } from '../../functions/payments/stripe-declines.ts';
import { type FakeStripe, startFakeStripe } from '../support/fake-stripe.ts';

const CUSTOMER = 'cus_01JTESTSTRIPE0000000000000';
/** Vault tokens of the test cards (Stripe's documented numbers). */
const CARDS: Record<string, string> = {
  tok_visa: '4242424242424242',
  tok_declined: '4000000000000002',
  tok_funds: '4000000000009995',
  tok_lost: '4000000000009987',
  tok_stolen: '4000000000009979',
  tok_expired: '4000000000000069',
  tok_processing: '4000000000000119',
};

let fake: FakeStripe;
const handedOut: Buffer[] = [];
const detokenize: Detokenize = async (token) => {
  const number = CARDS[token];
  if (!number) throw new DomainError('not_found', 'resource_missing', 'No such card.', 'token');
  const pan = Buffer.from(number, 'ascii');
  handedOut.push(pan);
  return { pan, expMonth: 12, expYear: 2031, brand: 'visa', customerId: CUSTOMER };
};

const processor = (options: { timeoutMs?: number } = {}) =>
  new StripeProcessor({
    apiKey: 'sk_test_fake0000000000',
    live: false,
    detokenize,
    host: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    ...options,
  });

let n = 0;
const request = (cardToken: string, overrides: Partial<ChargeRequest> = {}): ChargeRequest => ({
  cardToken,
  customerId: CUSTOMER,
  amount: 2_500,
  currency: 'USD',
  idempotencyKey: `ins_stripe${++n}#1`,
  reason: `installment ins_stripe${n} of ord_stripe`,
  ...overrides,
});
const creates = () => fake.requests.filter((r) => r.path === '/v1/payment_intents').length;

beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake.close();
});

describe('Stripe processor against a local fake of the Stripe API', () => {
  it('charges a card once per idempotency key and zeroes the card number', async () => {
    const stripe = processor();
    const charge = request('tok_visa');
    const result = await stripe.charge(charge);
    expect(result).toEqual({ status: 'succeeded', chargeId: expect.stringMatching(/^pi_/) });
    const create = fake.requests.find((r) => r.form[`metadata[${KEY_METADATA}]`] === charge.idempotencyKey);
    expect(create?.idempotencyKey).toBe(charge.idempotencyKey);
    expect(create?.form).toMatchObject({
      amount: '2500',
      currency: 'usd',
      confirm: 'true',
      off_session: 'true',
    });
    expect(handedOut.every((pan) => pan.every((byte) => byte === 0))).toBe(true);

    // The same key again: the recorded outcome, no second PaymentIntent.
    const before = creates();
    expect(await stripe.charge(charge)).toEqual(result);
    expect(creates()).toBe(before);
  });

  it.each([
    ['tok_declined', 'card_declined', false],
    ['tok_funds', 'insufficient_funds', false],
    ['tok_processing', 'processing_error', false],
    ['tok_lost', 'lost_card', true],
    ['tok_stolen', 'stolen_card', true],
    ['tok_expired', 'expired_card', true],
  ] as const)('maps the decline of %s to %s (hard: %s)', async (token, code, hard) => {
    const result = await processor().charge(request(token));
    expect(result).toMatchObject({ status: 'failed', code, hard, chargeId: expect.stringMatching(/^pi_/) });
    expect(JSON.stringify(result)).not.toContain(CARDS[token]);
  });

  it('refuses a card of another customer or a deleted card without calling Stripe (hard)', async () => {
    const before = fake.requests.length;
    const stripe = processor();
    expect(await stripe.charge(request('tok_visa', { customerId: 'cus_someoneelse' }))).toMatchObject({
      status: 'failed',
      code: 'card_unavailable',
      hard: true,
    });
    expect(await stripe.charge(request('tok_gone'))).toMatchObject({ code: 'card_unavailable', hard: true });
    // Only the two lookups by key: no card was sent.
    expect(fake.requests.slice(before).map((r) => r.path)).toEqual([
      '/v1/payment_intents/search',
      '/v1/payment_intents/search',
    ]);
  });

  it('after a timeout, finds the outcome by idempotency key and never charges twice', async () => {
    const charge = request('tok_visa');
    // Stripe carries the charge out, but its answer comes after the client gave up.
    fake.delayNext('/v1/payment_intents', 1_500);
    await expect(processor({ timeoutMs: 300 }).charge(charge)).rejects.toThrow();
    const stripe = processor();
    const outcome = await stripe.chargeOutcome(charge.idempotencyKey);
    expect(outcome).toEqual({ status: 'succeeded', chargeId: expect.stringMatching(/^pi_/) });
    const before = creates();
    expect(await stripe.charge(charge)).toEqual(outcome);
    expect(creates()).toBe(before);
  });

  it('answers undefined for a key Stripe never saw, and "pending" is never a new charge', async () => {
    const stripe = processor();
    expect(await stripe.chargeOutcome('ins_never#1')).toBeUndefined();
    // Indexed late: not found yet, although charged (the reconciler asks again later).
    const charge = request('tok_visa');
    await stripe.charge(charge);
    fake.hideFromSearch();
    expect(await stripe.chargeOutcome(charge.idempotencyKey)).toBeUndefined();
    expect(await stripe.chargeOutcome(charge.idempotencyKey)).toMatchObject({ status: 'succeeded' });
    // A PaymentIntent still processing has no outcome: both calls say so, neither charges again.
    const slow = request('tok_visa');
    fake.nextIntentStatus('processing');
    await expect(stripe.charge(slow)).rejects.toBeInstanceOf(OutcomePendingError);
    const before = creates();
    await expect(stripe.chargeOutcome(slow.idempotencyKey)).rejects.toBeInstanceOf(OutcomePendingError);
    await expect(stripe.charge(slow)).rejects.toBeInstanceOf(OutcomePendingError);
    expect(creates()).toBe(before);
  });

  it('refunds a charge once per key, and reports a refusal as a failed refund', async () => {
    const stripe = processor();
    const charged = await stripe.charge(request('tok_visa'));
    if (charged.status !== 'succeeded') throw new Error('charge failed');
    const refund = {
      chargeId: charged.chargeId,
      amount: 1_000,
      currency: 'USD' as const,
      idempotencyKey: 'ref_1#ins_1',
    };
    const first = await stripe.refund(refund);
    expect(first).toEqual({ status: 'succeeded', refundId: expect.stringMatching(/^re_/) });
    expect(await stripe.refund(refund)).toEqual(first);
    expect(await stripe.refund({ ...refund, amount: 2_000, idempotencyKey: 'ref_2#ins_1' })).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('amount_too_large'),
    });
    expect(
      await stripe.refund({ ...refund, chargeId: 'pi_unknown', idempotencyKey: 'ref_3#ins_1' }),
    ).toMatchObject({
      status: 'failed',
    });
  });

  it('pays a merchant out once per key; an unknown destination fails', async () => {
    const stripe = processor();
    const payout = {
      destination: 'acct_1MerchantTest',
      amount: 97_150,
      currency: 'USD' as const,
      idempotencyKey: 'stl_01JTEST',
      description: 'Tessera settlement stl_01JTEST',
    };
    const first = await stripe.transfer(payout);
    expect(first).toEqual({ status: 'succeeded', transferId: expect.stringMatching(/^tr_/) });
    expect(await stripe.transfer(payout)).toEqual(first);
    const sent = fake.requests.filter((r) => r.path === '/v1/transfers');
    expect(sent[0]?.form).toMatchObject({
      amount: '97150',
      currency: 'usd',
      destination: 'acct_1MerchantTest',
    });
    expect(
      await stripe.transfer({ ...payout, destination: 'bank_x', idempotencyKey: 'stl_2' }),
    ).toMatchObject({
      status: 'failed',
    });
  });
});

describe('decline codes', () => {
  it('treats an unknown decline as soft and the documented permanent ones as hard', () => {
    expect(mapStripeDecline('something_new', 'card_declined')).toMatchObject({
      code: 'card_declined',
      hard: false,
    });
    expect(mapStripeDecline('pickup_card', 'card_declined')).toMatchObject({
      code: 'stolen_card',
      hard: true,
    });
    expect(mapStripeDecline('fraudulent', 'card_declined')).toMatchObject({
      code: 'card_unavailable',
      hard: true,
    });
    expect(mapStripeDecline('do_not_honor', 'card_declined')).toMatchObject({
      code: 'card_declined',
      hard: false,
    });
    expect(mapStripeDecline(undefined, 'expired_card')).toMatchObject({ code: 'expired_card', hard: true });
  });
});

describe('live mode', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['STAGE', 'CARD_PROCESSOR', 'PROCESSOR_API_KEY_SECRET_ARN']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    setCardProcessor(undefined);
  });

  it('refuses to start with the sandbox processor: a clear configuration error', () => {
    expect(() => processorChoice({ STAGE: 'prod' })).toThrow(ProcessorConfigurationError);
    expect(() => processorChoice({ STAGE: 'prod', CARD_PROCESSOR: 'sandbox' })).toThrow(
      /live mode .* refuses to start with the sandbox processor/,
    );
    process.env.STAGE = 'prod';
    delete process.env.CARD_PROCESSOR;
    setCardProcessor(undefined);
    expect(() => cardProcessor()).toThrow(ProcessorConfigurationError);
  });

  it('runs Stripe in live mode, and the sandbox in test mode', () => {
    expect(
      processorChoice({ STAGE: 'prod', CARD_PROCESSOR: 'stripe', PROCESSOR_API_KEY_SECRET_ARN: 'arn:x' }),
    ).toEqual({
      kind: 'stripe',
      live: true,
      apiKeySecretArn: 'arn:x',
    });
    expect(processorChoice({ STAGE: 'dev' })).toEqual({ kind: 'sandbox', live: false });
    expect(() => processorChoice({ STAGE: 'dev', CARD_PROCESSOR: 'stripe' })).toThrow(
      /PROCESSOR_API_KEY_SECRET_ARN/,
    );
  });

  it('accepts only a Stripe key of the deployment mode', () => {
    const options = { detokenize, host: '127.0.0.1', port: fake.port, protocol: 'http' as const };
    expect(() => new StripeProcessor({ ...options, apiKey: 'sk_test_abc', live: true })).toThrow(
      ProcessorConfigurationError,
    );
    expect(() => new StripeProcessor({ ...options, apiKey: 'sk_live_abc', live: false })).toThrow(
      /live Stripe key/,
    );
    expect(() => new StripeProcessor({ ...options, apiKey: 'pk_live_abc', live: true })).toThrow(
      /secret key/,
    );
    expect(() => new StripeProcessor({ ...options, apiKey: 'sk_live_abc', live: true })).not.toThrow();
  });
});
