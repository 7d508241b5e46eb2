/**
 * Opaque list cursors. A cursor names the last order of a page and is bound to the merchant that
 * received it by an HMAC-SHA256 over (purpose, merchant, payload), so it cannot be altered or replayed
 * by another merchant: a foreign or edited cursor is a 400. Independently, the list Query is always
 * built from the caller's own partition, so even a valid-looking cursor could not reach another
 * tenant's keyspace.
 *
 * The HMAC key is derived (HKDF-SHA256, its own label) from the platform signing secret; see the
 * report about giving cursors a secret of their own.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../lib/errors.ts';
import { isId } from '../lib/ids.ts';
import { getSecret } from '../lib/secrets.ts';

const VERSION = 'c1';
let cursorKey: Promise<Buffer> | undefined;

function key(): Promise<Buffer> {
  cursorKey ??= getSecret('cursor-signing').then((secret) =>
    Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'tessera/list-cursor/v1', 32)),
  );
  cursorKey.catch(() => {
    cursorKey = undefined;
  });
  return cursorKey;
}

const tag = (secret: Buffer, merchantId: string, payload: string) =>
  createHmac('sha256', secret).update(`orders\n${merchantId}\n${payload}`).digest().subarray(0, 16);

export async function encodeCursor(merchantId: string, lastOrderId: string): Promise<string> {
  const payload = Buffer.from(lastOrderId, 'utf8').toString('base64url');
  return `${VERSION}.${payload}.${tag(await key(), merchantId, payload).toString('base64url')}`;
}

/** The order id a cursor points after; 400 `invalid_cursor` unless this merchant was given it. */
export async function decodeCursor(merchantId: string, cursor: string): Promise<string> {
  const invalid = () =>
    new DomainError(
      'invalid',
      'invalid_cursor',
      'startingAfter is not a cursor returned to you by this list.',
      'startingAfter',
    );
  const [version, payload, mac, ...rest] = cursor.split('.');
  if (version !== VERSION || !payload || !mac || rest.length > 0) throw invalid();
  const expected = tag(await key(), merchantId, payload);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  const orderId = Buffer.from(payload, 'base64url').toString('utf8');
  if (!isId('order', orderId)) throw invalid();
  return orderId;
}
