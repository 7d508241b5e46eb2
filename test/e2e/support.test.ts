import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/lib/logger.ts';
import { listOutbox } from '../../functions/lib/notifier.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures } from '../support/checkout.ts';
import { registerCustomer } from '../support/customers.ts';
import { outputCapture } from '../support/output.ts';
import { panLikeRuns } from '../support/pan-scan.ts';

/**
 * The secure support channel over real HTTP: a card number and a one-time code typed by the shopper
 * (and by an operator) are masked before they are stored, sent or logged. The hunt, like
 * vault-leak.test.ts: every byte written to stdout/stderr is captured, and the main table, the logs,
 * the responses and the notifications are searched for the typed PAN (every written form, as its
 * digits) and the code.
 */
const PAN = '5555555555554444';
const CODE = '482913';
let app: TestApp;
const output = outputCapture();
const logs = output.lines;
const responses: string[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  output.release();
  logger.setLogLevel('INFO');
  await app?.close();
});

type Conversation = {
  id: string;
  status: string;
  subject: string;
  orderId?: string;
  disputeId?: string;
  assignee?: string;
  messageCount: number;
  messages?: Array<{ author: string; text: string }>;
};

async function call<T = Conversation>(
  method: string,
  path: string,
  options?: Parameters<TestApp['call']>[2],
) {
  const res = await app.call<T>(method, path, options);
  responses.push(res.text);
  return res;
}

/** Digits only: a PAN written with separators is found as its digits. */
const digits = (text: string) => text.replace(/[^0-9]/g, '');

const supportItems = async () =>
  ((await app.scanAll()).main ?? []).filter((item) => String(item.pk).startsWith('SUPPORT#'));

describe('secure support channel', () => {
  it('masks a typed card number and one-time code everywhere: tables, logs, responses, notifications', async () => {
    const fixtures = checkoutFixtures(() => app);
    const merchant = await fixtures.newMerchant();
    const ann = await fixtures.newShopper();
    const order = await fixtures.capturedOrder(merchant, ann, 20_000);
    const op = app.operator;

    logger.setLogLevel('DEBUG');
    output.start();
    let id = '';
    try {
      const opened = await call('POST', '/v1/me/support/conversations', {
        auth: ann.sessionToken,
        body: {
          subject: `Charge on card ${PAN}`,
          message: `My card is 5555 5555 5555 4444 and the code I got is ${CODE}. Was I charged?`,
          orderId: order.id,
        },
      });
      expect(opened.status, opened.text).toBe(201);
      id = opened.json.id;
      const more = await call('POST', `/v1/me/support/conversations/${id}/messages`, {
        auth: ann.sessionToken,
        body: { message: 'Also: 5555-5555-5555-4444, code 482 913' },
      });
      expect(more.status, more.text).toBe(201);
      expect((await call('GET', '/v1/admin/support/conversations', { auth: op })).status).toBe(200);
      const assigned = await call('POST', `/v1/admin/support/conversations/${id}/assign`, {
        auth: op,
        body: { operator: 'Dana (support)' },
      });
      expect(assigned.json).toMatchObject({ assignee: 'Dana (support)' });
      const reply = await call('POST', `/v1/admin/support/conversations/${id}/messages`, {
        auth: op,
        body: { message: `Please never send ${PAN} here. Your payment of USD 50.00 is fine.` },
      });
      expect(reply.status, reply.text).toBe(201);
      const read = await call('GET', `/v1/me/support/conversations/${id}`, { auth: ann.sessionToken });
      expect(read.json).toMatchObject({
        subject: 'Charge on card •••• 4444',
        orderId: order.id,
        messageCount: 3,
      });
      expect(read.json.assignee).toBeUndefined();
      expect(read.json.messages?.map((m) => m.author)).toEqual(['customer', 'customer', 'operator']);
      expect(read.json.messages?.[0]?.text).toBe(
        'My card is •••• 4444 and the code I got is ••••••. Was I charged?',
      );
      expect(read.json.messages?.[2]?.text).toContain('Your payment of USD 50.00 is fine.');
      const list = await call<{ data: Conversation[] }>('GET', '/v1/me/support/conversations', {
        auth: ann.sessionToken,
      });
      expect(list.json.data.map((c) => c.id)).toEqual([id]);
    } finally {
      output.release();
      logger.setLogLevel('INFO');
    }

    // The shopper is told a reply waits, without its text.
    const notices = (await listOutbox(ann.customerId, 100)).filter((m) => m.kind === 'support_notice');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toContain(id);
    expect(notices[0]?.text).not.toContain('USD 50.00');

    const tables = await app.scanAll();
    const main = JSON.stringify(tables.main);
    const everywhere = [main, logs.join(''), responses.join('\n'), JSON.stringify(notices)];
    for (const text of everywhere) {
      expect(digits(text)).not.toContain(PAN);
      expect(text).not.toContain(CODE);
      expect(text).not.toContain('482 913');
    }
    // No clear text of the conversation in the table: it is sealed.
    expect(main).not.toContain('Was I charged');
    expect(main).not.toContain('USD 50.00 is fine');
    // And no PAN-like run at all in the support items or the logs of this flow.
    const support = (tables.main ?? []).filter((item) => String(item.pk).startsWith('SUPPORT#'));
    expect(panLikeRuns(support)).toEqual([]);
  });

  it('only the shopper sees their conversation; bad input is a clear 4xx and writes nothing; closed takes no message', async () => {
    const ann = await registerCustomer(app);
    const bob = await registerCustomer(app);
    const opened = await call('POST', '/v1/me/support/conversations', {
      auth: ann.sessionToken,
      body: { subject: 'Help', message: 'Hello' },
    });
    expect(opened.status).toBe(201);
    const id = opened.json.id;
    const before = (await supportItems()).length;

    expect((await call('GET', `/v1/me/support/conversations/${id}`, { auth: bob.sessionToken })).status).toBe(
      404,
    );
    const foreign = await call('POST', `/v1/me/support/conversations/${id}/messages`, {
      auth: bob.sessionToken,
      body: { message: 'hi' },
    });
    expect(foreign.status).toBe(404);
    const bad: Array<[string, unknown, string]> = [
      ['/v1/me/support/conversations', { subject: 'x' }, 'parameter_missing'],
      ['/v1/me/support/conversations', { subject: '   ', message: 'x' }, 'parameter_invalid'],
      ['/v1/me/support/conversations', { subject: 'x', message: 'y'.repeat(1001) }, 'parameter_invalid'],
      ['/v1/me/support/conversations', { subject: 'x', message: 'y', extra: true }, 'parameter_unknown'],
      ['/v1/me/support/conversations', { subject: 'x', message: 'y', orderId: 'ord_x' }, 'parameter_invalid'],
      [`/v1/me/support/conversations/${id}/messages`, {}, 'parameter_missing'],
      [`/v1/me/support/conversations/${id}/messages`, { message: 7 }, 'parameter_invalid'],
      ['/v1/me/support/conversations/cnv_nope/messages', { message: 'x' }, 'parameter_invalid'],
    ];
    for (const [path, body, code] of bad) {
      const res = await call('POST', path, { auth: ann.sessionToken, body });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json).toMatchObject({ error: { code } });
    }
    const missingOrder = await call('POST', '/v1/me/support/conversations', {
      auth: ann.sessionToken,
      body: { subject: 'x', message: 'y', orderId: 'ord_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V' },
    });
    expect(missingOrder.status).toBe(404);
    expect(
      (await call('POST', '/v1/me/support/conversations', { body: { subject: 'x', message: 'y' } })).status,
    ).toBe(401);
    const op = app.operator;
    expect(
      (await call('POST', `/v1/admin/support/conversations/${id}/assign`, { auth: op, body: {} })).status,
    ).toBe(400);
    expect(
      (
        await call('POST', `/v1/admin/support/conversations/${id}/assign`, {
          auth: op,
          body: { operator: PAN },
        })
      ).json,
    ).toMatchObject({ error: { code: 'pan_not_allowed' } });
    expect((await call('GET', '/v1/admin/support/conversations?status=pending', { auth: op })).status).toBe(
      400,
    );
    expect(
      (await call('POST', `/v1/admin/support/conversations/${id}/close`, { auth: ann.sessionToken })).status,
    ).toBe(401);
    expect(await supportItems()).toHaveLength(before);

    const closed = await call('POST', `/v1/admin/support/conversations/${id}/close`, { auth: op });
    expect(closed.json).toMatchObject({ status: 'closed' });
    expect((await call('POST', `/v1/admin/support/conversations/${id}/close`, { auth: op })).status).toBe(
      200,
    );
    const late = await call('POST', `/v1/me/support/conversations/${id}/messages`, {
      auth: ann.sessionToken,
      body: { message: 'one more thing' },
    });
    expect(late.status).toBe(422);
    expect(late.json).toMatchObject({ error: { code: 'conversation_closed' } });
    const queue = await call<{ data: Conversation[] }>(
      'GET',
      '/v1/admin/support/conversations?status=closed',
      {
        auth: op,
      },
    );
    expect(queue.json.data.map((c) => c.id)).toContain(id);
  });
  it("opens a conversation about the shopper's own dispute (operators see it); another customer's dispute is refused and writes nothing", async () => {
    const fixtures = checkoutFixtures(() => app);
    const merchant = await fixtures.newMerchant();
    const ann = await fixtures.newShopper();
    const bob = await registerCustomer(app);
    const order = await fixtures.capturedOrder(merchant, ann, 20_000);
    const other = await fixtures.capturedOrder(merchant, ann, 10_000);
    const filed = await app.call<{ id: string }>('POST', '/v1/me/disputes', {
      auth: ann.sessionToken,
      body: { orderId: order.id, reason: 'unauthorized' },
    });
    expect(filed.status, filed.text).toBe(201);
    const disputeId = filed.json.id;
    const op = app.operator;

    // Bob names Ann's dispute: answered as missing, and nothing of support is written.
    const before = (await supportItems()).length;
    const refusals: Array<[string, Record<string, unknown>, number, string, string]> = [
      [bob.sessionToken, { disputeId }, 404, 'resource_missing', 'disputeId'],
      [bob.sessionToken, { disputeId, orderId: order.id }, 404, 'resource_missing', 'disputeId'],
      [
        ann.sessionToken,
        { disputeId: 'dsp_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V' },
        404,
        'resource_missing',
        'disputeId',
      ],
      [ann.sessionToken, { disputeId, orderId: other.id }, 400, 'parameter_invalid', 'orderId'],
      [
        ann.sessionToken,
        { disputeId: 'ord_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V' },
        400,
        'parameter_invalid',
        'disputeId',
      ],
    ];
    for (const [auth, about, status, code, param] of refusals) {
      const res = await call('POST', '/v1/me/support/conversations', {
        auth,
        body: { subject: 'About a dispute', message: 'Any news?', ...about },
      });
      expect(res.status, `${JSON.stringify(about)}: ${res.text}`).toBe(status);
      expect(res.json).toMatchObject({ error: { code, param } });
      expect(res.text).not.toContain(ann.customerId);
    }
    expect(await supportItems()).toHaveLength(before);
    const bobs = await call<{ data: Conversation[] }>('GET', '/v1/me/support/conversations', {
      auth: bob.sessionToken,
    });
    expect(bobs.json.data).toEqual([]);

    // Ann's own dispute: accepted; the conversation is about the dispute and its order.
    const opened = await call('POST', '/v1/me/support/conversations', {
      auth: ann.sessionToken,
      body: { subject: 'About my dispute', message: 'Any news?', disputeId },
    });
    expect(opened.status, opened.text).toBe(201);
    expect(opened.json).toMatchObject({ disputeId, orderId: order.id });
    const stored = (await supportItems()).find((item) => item.sk === 'CONV' && item.id === opened.json.id);
    expect(stored).toMatchObject({ customerId: ann.customerId, disputeId, orderId: order.id });
    // With the matching orderId too.
    const both = await call('POST', '/v1/me/support/conversations', {
      auth: ann.sessionToken,
      body: { subject: 'Again', message: 'Still waiting', disputeId, orderId: order.id },
    });
    expect(both.status, both.text).toBe(201);
    expect(both.json).toMatchObject({ disputeId, orderId: order.id });

    // Operators see the link, in the queue and on the conversation.
    const queue = await call<{ data: Conversation[] }>('GET', '/v1/admin/support/conversations?status=open', {
      auth: op,
    });
    expect(queue.json.data.find((c) => c.id === opened.json.id)).toMatchObject({
      disputeId,
      orderId: order.id,
    });
    const one = await call('GET', `/v1/admin/support/conversations/${opened.json.id}`, { auth: op });
    expect(one.status, one.text).toBe(200);
    expect(one.json).toMatchObject({ disputeId, orderId: order.id });
  });
});
