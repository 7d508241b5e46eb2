import { describe, expect, it } from 'vitest';
import { proxyHeaders } from '../../infra/local/proxy-event.ts';

describe('the local gateway builds headers as API Gateway delivers them (issue 9)', () => {
  it('keeps every value of a repeated header in multiValueHeaders, the last in headers', () => {
    const { headers, multiValueHeaders } = proxyHeaders([
      'Authorization',
      'Bearer first',
      'Content-Type',
      'application/json',
      'authorization',
      'Bearer second',
    ]);
    expect(multiValueHeaders).toEqual({
      Authorization: ['Bearer first', 'Bearer second'],
      'Content-Type': ['application/json'],
    });
    expect(headers).toEqual({ Authorization: 'Bearer second', 'Content-Type': 'application/json' });
  });
});
