import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../../examples/verify-webhook.ts';
import {
  computeSignature,
  parseSignatureHeader,
  signatureHeader,
  verifySignature,
  WebhookSignatureError,
} from '../../functions/lib/signature.ts';

const secret = 'whsec_test_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
const other = 'whsec_other_0123456789abcdefghijklmnopqrstuvwxyzABCDEF';
const body = JSON.stringify({
  id: 'evt_01J0000000000000000000000A',
  object: 'event',
  type: 'order.captured',
  created: '2026-03-01T12:00:00.000Z',
  objectId: 'ord_01J0000000000000000000000A',
  sequence: 3,
  data: { amount: 1000 },
});
const t = 1_772_366_400; // 2026-03-01T12:00:00Z
const at = (seconds: number) => new Date(seconds * 1000);

describe('the signature scheme', () => {
  it('is hex HMAC-SHA256 over "<t>.<body>" keyed by the whole secret string', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(computeSignature(secret, t, body)).toBe(expected);
    expect(signatureHeader(body, [secret], t)).toBe(`t=${t},v1=${expected}`);
    // Bytes and strings sign alike.
    expect(computeSignature(secret, t, Buffer.from(body))).toBe(expected);
  });

  it('a signed body verifies, with the server verifier and with the merchant helper', () => {
    const header = signatureHeader(body, [secret], t);
    expect(verifySignature(body, header, secret, { nowSeconds: t + 10 })).toEqual({ timestamp: t });
    const event = verifyWebhook(body, header, secret, { now: at(t + 10) });
    expect(event).toMatchObject({
      id: 'evt_01J0000000000000000000000A',
      sequence: 3,
      type: 'order.captured',
    });
    expect(verifyWebhook(Buffer.from(body), header, secret, { now: at(t) }).id).toBe(event.id);
  });

  it.each([
    ['a changed amount', body.replace('1000', '1001')],
    ['an added space', `${body} `],
    ['a changed sequence', body.replace('"sequence":3', '"sequence":4')],
  ])('a tampered body fails: %s', (_name, tampered) => {
    const header = signatureHeader(body, [secret], t);
    expect(() => verifySignature(tampered, header, secret, { nowSeconds: t })).toThrow(
      expect.objectContaining({ code: 'signature_mismatch' }),
    );
    expect(() => verifyWebhook(tampered, header, secret, { now: at(t) })).toThrow(WebhookVerificationError);
  });

  it('a different secret fails', () => {
    const header = signatureHeader(body, [secret], t);
    expect(() => verifyWebhook(body, header, other, { now: at(t) })).toThrow(/no signature matches/);
  });

  it('a re-timed header fails: the timestamp is inside the MAC', () => {
    const header = signatureHeader(body, [secret], t).replace(`t=${t}`, `t=${t + 60}`);
    expect(() => verifyWebhook(body, header, secret, { now: at(t + 60) })).toThrow(/no signature matches/);
  });

  it('an old timestamp (> 5 min) fails; exactly 5 min passes; a far-future one fails too', () => {
    const header = signatureHeader(body, [secret], t);
    expect(() => verifyWebhook(body, header, secret, { now: at(t + 301) })).toThrow(/tolerance/);
    expect(() => verifySignature(body, header, secret, { nowSeconds: t + 301 })).toThrow(
      expect.objectContaining({ code: 'timestamp_out_of_tolerance' }),
    );
    expect(verifyWebhook(body, header, secret, { now: at(t + 300) }).id).toBeDefined();
    expect(() => verifyWebhook(body, header, secret, { now: at(t - 301) })).toThrow(/tolerance/);
    // The tolerance is the receiver's choice.
    expect(() => verifyWebhook(body, header, secret, { now: at(t + 61), toleranceSeconds: 60 })).toThrow(
      /tolerance/,
    );
  });

  it('multiple v1 signatures (secret rotation): a receiver holding either secret verifies', () => {
    const header = signatureHeader(body, [secret, other], t);
    expect(parseSignatureHeader(header).signatures).toHaveLength(2);
    expect(verifyWebhook(body, header, secret, { now: at(t) }).id).toBeDefined();
    expect(verifyWebhook(body, header, other, { now: at(t) }).id).toBeDefined();
    expect(() => verifyWebhook(body, header, 'whsec_neither', { now: at(t) })).toThrow(/no signature/);
    // And a receiver mid-rotation may hold several secrets itself.
    const onlyNew = signatureHeader(body, [other], t);
    expect(verifyWebhook(body, onlyNew, [secret, other], { now: at(t) }).id).toBeDefined();
  });

  it('unknown schemes are ignored and a forged extra v1 does not hide a valid one', () => {
    const valid = signatureHeader(body, [secret], t);
    const header = `${valid},v0=deadbeef,v1=${'0'.repeat(64)},v2=whatever`;
    expect(verifyWebhook(body, header, secret, { now: at(t) }).id).toBeDefined();
    expect(verifySignature(body, header, secret, { nowSeconds: t }).timestamp).toBe(t);
  });

  it.each([
    ['missing', undefined, 'header_missing'],
    ['empty', '', 'header_missing'],
    ['no timestamp', `v1=${'a'.repeat(64)}`, 'header_malformed'],
    ['no v1', `t=${t}`, 'header_malformed'],
    ['a non-numeric timestamp', `t=abc,v1=${'a'.repeat(64)}`, 'header_malformed'],
    ['two timestamps', `t=${t},t=${t + 1},v1=${'a'.repeat(64)}`, 'header_malformed'],
    ['a short v1', `t=${t},v1=abcd`, 'header_malformed'],
  ])('a malformed header fails: %s', (_name, header, code) => {
    const error = (() => {
      try {
        verifySignature(body, header, secret, { nowSeconds: t });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(WebhookSignatureError);
    expect((error as WebhookSignatureError).code).toBe(code);
    expect(() => verifyWebhook(body, header, secret, { now: at(t) })).toThrow(WebhookVerificationError);
  });

  it('the merchant helper refuses a validly signed payload that is not an event', () => {
    const notEvent = JSON.stringify({ hello: 'world' });
    const header = signatureHeader(notEvent, [secret], t);
    expect(() => verifyWebhook(notEvent, header, secret, { now: at(t) })).toThrow(/not a Tessera event/);
  });

  it('signing refuses no secrets and a non-integer timestamp', () => {
    expect(() => signatureHeader(body, [], t)).toThrow();
    expect(() => signatureHeader(body, [secret], 1.5)).toThrow();
  });
});
