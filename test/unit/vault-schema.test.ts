import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zodToApiError } from '../../functions/lib/http.ts';
import { AddCardBody, CardListQuery, CardTokenParams, RewrapBody } from '../../functions/vault/schema.ts';
import { WRAP_SHARDS, wrapListPk, wrapShard } from '../../functions/vault/store.ts';

const valid = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };

/** The API error the kernel would answer with, for a body the schema refuses. */
function refusal(body: unknown) {
  const parsed = AddCardBody.safeParse(body);
  if (parsed.success) throw new Error('expected the schema to refuse the body');
  return zodToApiError(parsed.error, 'body', body);
}

describe('AddCardBody', () => {
  it('takes the number as a string and leaves the card rules to validateCard (422 with param)', () => {
    expect(AddCardBody.parse(valid)).toEqual(valid);
    // Letters, spaces and 25 digits pass the schema: they are card-rule failures, answered 422 later.
    for (const number of ['4242abcd42424242', '4242 4242 4242 4242', '4'.repeat(25)]) {
      expect(AddCardBody.safeParse({ ...valid, number }).success).toBe(true);
    }
  });

  it('refuses a JSON number for `number` (it loses precision) as 400 parameter_invalid on number', () => {
    expect(refusal({ ...valid, number: 4242424242424242 })).toMatchObject({
      status: 400,
      code: 'parameter_invalid',
      param: 'number',
    });
  });

  it('is strict: an unknown field is 400 parameter_unknown, a missing one parameter_missing', () => {
    expect(refusal({ ...valid, pan: '4242424242424242' })).toMatchObject({
      code: 'parameter_unknown',
      param: 'pan',
    });
    const { cvc: _cvc, ...noCvc } = valid;
    expect(refusal(noCvc)).toMatchObject({ code: 'parameter_missing', param: 'cvc' });
    expect(refusal({ ...valid, expMonth: '12' })).toMatchObject({
      code: 'parameter_invalid',
      param: 'expMonth',
    });
  });

  it('never echoes the submitted number in a refusal (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{13,19}$/),
        fc.constantFrom('asNumber', 'tooLong', 'unknownField', 'badCvc'),
        (digits, how) => {
          const body =
            how === 'asNumber'
              ? { ...valid, number: Number(digits) }
              : how === 'tooLong'
                ? { ...valid, number: digits.repeat(5) }
                : how === 'unknownField'
                  ? { ...valid, number: digits, card: digits }
                  : { ...valid, number: digits, cvc: Number(digits.slice(0, 3)) };
          const error = refusal(body);
          const text = `${error.message} ${JSON.stringify(error.toBody('r'))}`;
          expect(text).not.toContain(digits);
          expect(text).not.toContain(digits.slice(0, 10));
        },
      ),
    );
  });
});

describe('other vault schemas', () => {
  it('lists with a bounded limit and a token cursor', () => {
    expect(CardListQuery.parse({})).toEqual({ limit: 20 });
    expect(CardListQuery.parse({ limit: '5' })).toEqual({ limit: 5 });
    for (const query of [
      { limit: '0' },
      { limit: '101' },
      { limit: 'x' },
      { startingAfter: 'cus_1' },
      { other: '1' },
    ]) {
      expect(CardListQuery.safeParse(query).success).toBe(false);
    }
    expect(CardTokenParams.safeParse({ token: '4242424242424242' }).success).toBe(false);
  });

  it('bounds the operator re-wrap', () => {
    expect(RewrapBody.parse({})).toEqual({ pageSize: 100, maxRecords: 5_000 });
    expect(RewrapBody.safeParse({ pageSize: 0 }).success).toBe(false);
    expect(RewrapBody.safeParse({ targetKeyId: '' }).success).toBe(false);
  });
});

describe('re-wrap lists', () => {
  it('shard a token deterministically into one of the WRAP_SHARDS lists of its key version', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (token) => {
        const shard = wrapShard(token);
        expect(shard).toBe(wrapShard(token));
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(WRAP_SHARDS);
      }),
    );
    expect(wrapListPk('alias/k', 'v2', 3)).toBe('WRAP#alias/k#v2#3');
  });
});
