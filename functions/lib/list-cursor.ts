/**
 * Lists: a page of a `gsi1` partition, and the opaque cursor that points after it.
 *
 * Opaque list cursors. A cursor names the last item of a page and is bound to the list and to the
 * owner that received it (a merchant id, a customer id, an operator; ids are prefixed, so owners never
 * collide) by an HMAC-SHA256 over (list, owner, payload), so it cannot be altered or replayed by
 * another tenant: a foreign or edited cursor is 400 `invalid_cursor`. Independently, every list Query
 * is built from the caller's own partition, so even a valid-looking cursor could not reach another
 * tenant's keyspace.
 *
 * The HMAC key is derived (HKDF-SHA256, its own label) from the `cursor-signing` secret.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from './dynamodb.ts';
import { DomainError } from './errors.ts';
import { type IdKind, isId } from './ids.ts';
import { getSecret } from './secrets.ts';
import { GSI1, type GSI2 } from './tables.ts';

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

const tag = (secret: Buffer, list: string, owner: string, payload: string) =>
  createHmac('sha256', secret).update(`${list}\n${owner}\n${payload}`).digest().subarray(0, 16);

/** The cursor after `lastId` on `list` (e.g. `orders`, `disputes`) for `owner`. */
export async function encodeListCursor(list: string, owner: string, lastId: string): Promise<string> {
  const payload = Buffer.from(lastId, 'utf8').toString('base64url');
  return `${VERSION}.${payload}.${tag(await key(), list, owner, payload).toString('base64url')}`;
}

/**
 * The id (of `kind`) a cursor points after; 400 `invalid_cursor` unless `owner` was given it by
 * this `list`.
 */
export async function decodeListCursor(
  list: string,
  owner: string,
  cursor: string,
  kind: IdKind,
): Promise<string> {
  const invalid = () =>
    new DomainError(
      'invalid',
      'invalid_cursor',
      'startingAfter is not a cursor returned to you by this list.',
      'startingAfter',
    );
  const [version, payload, mac, ...rest] = cursor.split('.');
  if (version !== VERSION || !payload || !mac || rest.length > 0) throw invalid();
  const expected = tag(await key(), list, owner, payload);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  const id = Buffer.from(payload, 'base64url').toString('utf8');
  if (!isId(kind, id)) throw invalid();
  return id;
}

/**
 * One page of a partition of an inverted index (`gsi1`, or `gsi2` for records whose gsi1 is taken),
 * newest first: `limit` items, and whether more follow (one more is read to tell, without a second
 * request). `after` is the last item of the previous page: its table key and its index sort key.
 */
export async function indexPage(
  index: typeof GSI1 | typeof GSI2,
  partition: string,
  limit: number,
  after?: { key: { pk: string; sk: string }; sortKey: string },
): Promise<{ items: Record<string, unknown>[]; hasMore: boolean }> {
  const { Items = [] } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: index,
      KeyConditionExpression: `${index}pk = :pk`,
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: limit + 1,
      ...(after
        ? { ExclusiveStartKey: { ...after.key, [`${index}pk`]: partition, [`${index}sk`]: after.sortKey } }
        : {}),
    }),
  );
  return { items: Items.slice(0, limit), hasMore: Items.length > limit };
}

/** `indexPage` of `gsi1`. */
export const gsi1Page = (
  partition: string,
  limit: number,
  after?: { key: { pk: string; sk: string }; sortKey: string },
) => indexPage(GSI1, partition, limit, after);

/**
 * One page of a list after the caller's cursor: decodes `startingAfter` (bound to `list` and
 * `owner`; 400 `invalid_cursor` otherwise), reads with `read`, and returns the items with the
 * cursor of the next page.
 */
export async function cursorPage<T extends { id: string }>(
  list: { name: string; owner: string; kind: IdKind },
  query: { limit: number; startingAfter?: string | undefined },
  read: (limit: number, afterId?: string) => Promise<{ items: T[]; hasMore: boolean }>,
): Promise<{ items: T[]; hasMore: boolean; nextCursor?: string }> {
  const after = query.startingAfter
    ? await decodeListCursor(list.name, list.owner, query.startingAfter, list.kind)
    : undefined;
  const { items, hasMore } = await read(query.limit, after);
  const last = items[items.length - 1];
  return {
    items,
    hasMore,
    ...(hasMore && last ? { nextCursor: await encodeListCursor(list.name, list.owner, last.id) } : {}),
  };
}

/**
 * A page of a queue: a `gsi1` partition whose items name the records to show (`load` reads one;
 * a record that moved to another queue meanwhile, per `keep`, is left out).
 */
export async function queuePage<T>(
  partition: string,
  limit: number,
  after: { key: { pk: string; sk: string }; sortKey: string } | undefined,
  load: (item: Record<string, unknown>) => Promise<T | undefined>,
  keep: (record: T) => boolean,
): Promise<{ items: T[]; hasMore: boolean }> {
  const { items, hasMore } = await gsi1Page(partition, limit, after);
  const loaded: Array<T | undefined> = await Promise.all(items.map(load));
  return { items: loaded.filter((r): r is T => r !== undefined && keep(r)), hasMore };
}
