/**
 * A local fake of the slice of Stripe's HTTP API the Stripe adapter uses, as documented at
 * https://docs.stripe.com/api: form-encoded POSTs, bearer secret keys, Idempotency-Key replay
 * (same key + same parameters -> the stored response; other parameters -> 400 idempotency_error),
 * card errors as 402 with `decline_code` and the PaymentIntent, PaymentIntent search by metadata,
 * refunds and transfers. Cards follow Stripe's documented test numbers. No network: it listens on
 * 127.0.0.1 and the SDK is pointed at it with host/port/protocol.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;
interface Stored {
  params: string;
  status: number;
  body: Json;
}

/** Stripe's test cards: https://docs.stripe.com/testing#declined-payments */
const DECLINES: Record<string, { code: string; decline_code?: string; message: string }> = {
  '4000000000000002': {
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
  },
  '4000000000009995': {
    code: 'card_declined',
    decline_code: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  '4000000000009987': {
    code: 'card_declined',
    decline_code: 'lost_card',
    message: 'Your card was declined.',
  },
  '4000000000009979': {
    code: 'card_declined',
    decline_code: 'stolen_card',
    message: 'Your card was declined.',
  },
  '4000000000000069': { code: 'expired_card', message: 'Your card has expired.' },
  '4000000000000119': { code: 'processing_error', message: 'An error occurred while processing your card.' },
};

export interface FakeStripe {
  port: number;
  /** Every request received: method, path, idempotency key, parsed form (card numbers included). */
  requests: Array<{ method: string; path: string; idempotencyKey?: string; form: Record<string, string> }>;
  /**
   * Delays the next response to `path` by `ms`, after the request is processed: a client timeout
   * on a request Stripe did carry out.
   */
  delayNext(path: string, ms: number): void;
  /** Makes the next search answer as if the object were not indexed yet. */
  hideFromSearch(): void;
  /** The next successful PaymentIntent is left in this status (e.g. `processing`). */
  nextIntentStatus(status: string): void;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export async function startFakeStripe(): Promise<FakeStripe> {
  const idempotency = new Map<string, Stored>();
  const cards = new Map<string, { number: string; exp_month: number; exp_year: number }>();
  const intents = new Map<string, Json>();
  const refunded = new Map<string, number>();
  const requests: FakeStripe['requests'] = [];
  let delay: { path: string; ms: number } | undefined;
  let hidden = false;
  let forcedStatus: string | undefined;

  const route = (method: string, path: string, form: Record<string, string>): [number, Json] => {
    if (method === 'POST' && path === '/v1/payment_methods') return createPaymentMethod(form);
    if (method === 'POST' && path === '/v1/payment_intents') return createPaymentIntent(form);
    if (method === 'GET' && path === '/v1/payment_intents/search') return search(form.query ?? '');
    if (method === 'POST' && path === '/v1/refunds') return createRefund(form);
    if (method === 'POST' && path === '/v1/transfers') return createTransfer(form);
    return invalid(404, 'resource_missing', `Unrecognized request URL (${method}: ${path}).`);
  };

  const createPaymentMethod = (form: Record<string, string>): [number, Json] => {
    const number = form['card[number]'] ?? '';
    if (!/^\d{13,19}$/.test(number))
      return cardError('incorrect_number', undefined, 'Your card number is incorrect.');
    const pm = id('pm');
    cards.set(pm, {
      number,
      exp_month: Number(form['card[exp_month]']),
      exp_year: Number(form['card[exp_year]']),
    });
    return [
      200,
      { id: pm, object: 'payment_method', type: 'card', card: { last4: number.slice(-4), brand: 'visa' } },
    ];
  };

  const createPaymentIntent = (form: Record<string, string>): [number, Json] => {
    const card = cards.get(form.payment_method ?? '');
    if (!card) return invalid(400, 'resource_missing', 'No such PaymentMethod.');
    const metadata = Object.fromEntries(
      Object.entries(form)
        .filter(([k]) => k.startsWith('metadata['))
        .map(([k, v]) => [k.slice(9, -1), v]),
    );
    const intent: Json = {
      id: id('pi'),
      object: 'payment_intent',
      amount: Number(form.amount),
      currency: form.currency,
      metadata,
      payment_method: form.payment_method,
      latest_charge: id('ch'),
      status: forcedStatus ?? 'succeeded',
      last_payment_error: null,
    };
    forcedStatus = undefined;
    const decline = DECLINES[card.number];
    if (decline) {
      intent.status = 'requires_payment_method';
      intent.last_payment_error = { type: 'card_error', ...decline };
      intents.set(intent.id as string, intent);
      return [
        402,
        { error: { type: 'card_error', ...decline, charge: intent.latest_charge, payment_intent: intent } },
      ];
    }
    intents.set(intent.id as string, intent);
    return [200, intent];
  };

  const search = (query: string): [number, Json] => {
    const match = /^metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'$/.exec(query);
    if (!match) return invalid(400, 'parameter_invalid', 'Unsupported search query.');
    const [, field, raw] = match;
    const value = (raw ?? '').replace(/\\(.)/g, '$1');
    const data = hidden
      ? []
      : [...intents.values()].filter((pi) => (pi.metadata as Record<string, string>)[field ?? ''] === value);
    hidden = false;
    return [
      200,
      { object: 'search_result', data, has_more: false, next_page: null, url: '/v1/payment_intents/search' },
    ];
  };

  const createRefund = (form: Record<string, string>): [number, Json] => {
    const intent = intents.get(form.payment_intent ?? '');
    if (intent?.status !== 'succeeded') {
      return invalid(400, 'resource_missing', `No such payment_intent: '${form.payment_intent}'`);
    }
    const amount = Number(form.amount ?? intent.amount);
    const already = refunded.get(intent.id as string) ?? 0;
    if (already + amount > (intent.amount as number)) {
      return invalid(400, 'amount_too_large', 'Refund amount is greater than unrefunded amount on charge.');
    }
    refunded.set(intent.id as string, already + amount);
    return [200, { id: id('re'), object: 'refund', amount, payment_intent: intent.id, status: 'succeeded' }];
  };

  const createTransfer = (form: Record<string, string>): [number, Json] => {
    if (!/^acct_[A-Za-z0-9]+$/.test(form.destination ?? '')) {
      return invalid(400, 'resource_missing', `No such destination: '${form.destination}'`);
    }
    return [
      200,
      {
        id: id('tr'),
        object: 'transfer',
        amount: Number(form.amount),
        currency: form.currency,
        destination: form.destination,
      },
    ];
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = Buffer.concat(chunks).toString('utf8');
    const form = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? url.search : body));
    const key = req.headers['idempotency-key'] as string | undefined;
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      form,
      ...(key ? { idempotencyKey: key } : {}),
    });
    let answer: [number, Json];
    if (!/^Bearer sk_test_[A-Za-z0-9]+$/.test(req.headers.authorization ?? '')) {
      answer = invalid(401, 'api_key_invalid', 'Invalid API Key provided.');
    } else if (key && req.method === 'POST') {
      const stored = idempotency.get(key);
      const params = `${url.pathname}?${body}`;
      if (stored && stored.params !== params) {
        answer = [
          400,
          {
            error: {
              type: 'idempotency_error',
              message:
                'Keys for idempotent requests can only be used with the same parameters they were first used with.',
            },
          },
        ];
      } else if (stored) {
        answer = [stored.status, stored.body];
      } else {
        answer = route(req.method, url.pathname, form);
        idempotency.set(key, { params, status: answer[0], body: answer[1] });
      }
    } else {
      answer = route(req.method ?? '', url.pathname, form);
    }
    if (delay?.path === url.pathname) {
      const { ms } = delay;
      delay = undefined;
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    if (res.destroyed) return;
    res.writeHead(answer[0], { 'Content-Type': 'application/json', 'Request-Id': id('req') });
    res.end(JSON.stringify(answer[1]));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    delayNext: (path, ms) => {
      delay = { path, ms };
    },
    hideFromSearch: () => {
      hidden = true;
    },
    nextIntentStatus: (status) => {
      forcedStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function invalid(status: number, code: string, message: string): [number, Json] {
  return [status, { error: { type: 'invalid_request_error', code, message } }];
}

function cardError(code: string, decline_code: string | undefined, message: string): [number, Json] {
  return [402, { error: { type: 'card_error', code, ...(decline_code ? { decline_code } : {}), message } }];
}
