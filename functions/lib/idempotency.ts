import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import canonicalize from 'canonicalize';
import type { Clock } from './clock.ts';
import { ddb, isConditionFailure, tableName } from './dynamodb.ts';
import { ApiError, badRequest, conflict } from './errors.ts';
import { type TransactItem, Transaction } from './transactions.ts';

/**
 * Stripe-style idempotency for merchant POSTs.
 *
 * - The first request claims `IDEM#<scope>#<key>` as in flight (conditional put).
 * - The use case's business write and the completed record (the exact response) commit in ONE
 *   TransactWriteItems, conditioned on still holding the claim, so a crash can never leave a
 *   business write without its record or a record without its write.
 * - A replay returns the stored status, body and content type byte-for-byte.
 * - The same key with a different request is 422 `idempotency_key_reused`; a request still in
 *   flight under the key is 409 `idempotency_request_in_progress`.
 * - Records live 24 h (TTL, and expiry is checked in code since TTL deletion is lazy). A claim
 *   abandoned by a crashed invocation can be taken over after LOCK_MS.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
export const LOCK_MS = 30_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Re-exported for the capabilities that still import it from here; new code imports ./transactions.ts. */
export type { TransactItem };

export interface StoredResponse {
  statusCode: number;
  contentType: string;
  body: string;
}

/** As stored: a response that carries a secret (e.g. a webhook signing secret) is sealed with KMS. */
interface SealedResponse {
  statusCode: number;
  contentType: string;
  body?: string;
  sealedBody?: string;
}

/**
 * Encrypts the stored copy of a response that carries a secret. Routes that need it pass one
 * (`keyServiceSealer` in ./response-sealer.ts); the kernel itself never references the key service,
 * so functions that seal nothing do not bundle the KMS client.
 */
export interface ResponseSealer {
  seal(plaintext: Buffer, context: Readonly<Record<string, string>>): Promise<Buffer>;
  unseal(sealed: Buffer, context: Readonly<Record<string, string>>): Promise<Buffer>;
}

const sealContext = (pk: string) => ({ purpose: 'idempotency-response', record: pk });

async function seal(
  response: StoredResponse,
  sealer: ResponseSealer | undefined,
  pk: string,
): Promise<SealedResponse> {
  if (!sealer) return response;
  const sealed = await sealer.seal(Buffer.from(response.body, 'utf8'), sealContext(pk));
  return {
    statusCode: response.statusCode,
    contentType: response.contentType,
    sealedBody: sealed.toString('base64'),
  };
}

async function unseal(
  stored: SealedResponse,
  sealer: ResponseSealer | undefined,
  pk: string,
): Promise<StoredResponse> {
  if (stored.sealedBody === undefined) return { ...stored, body: stored.body ?? '' };
  // A record replays only for the same method, path and body, i.e. the route that sealed it.
  if (!sealer) throw new Error('a sealed idempotent response replayed by a route without a sealer');
  const body = await sealer.unseal(Buffer.from(stored.sealedBody, 'base64'), sealContext(pk));
  return { statusCode: stored.statusCode, contentType: stored.contentType, body: body.toString('utf8') };
}

interface IdempotencyRecord {
  pk: string;
  sk: string;
  status: 'in_flight' | 'complete';
  requestHash: string;
  lockToken?: string;
  lockedUntil?: number;
  response?: SealedResponse;
  createdAt: string;
  expiresAtMs: number;
  ttl: number;
}

export interface IdempotencyScope {
  /** Commits the business items together with the stored response; returns the response. */
  commit(items: TransactItem[], response: StoredResponse): Promise<void>;
  readonly committed: boolean;
}

/**
 * The JSON Canonicalization Scheme (RFC 8785) form of a parsed JSON value: keys sorted by UTF-16
 * code units, numbers and strings in ECMAScript form, no whitespace. `{"a":1,"b":2}` and
 * `{"b":2,"a":1}` give one string. Throws 400 `invalid_json` for a string holding an unpaired
 * surrogate (JSON allows the escape; RFC 8785 §3.2.2.2 and UTF-8 storage do not).
 */
export function canonicalJson(value: unknown): string {
  try {
    return canonicalize(value ?? null) ?? 'null';
  } catch {
    throw badRequest('invalid_json', 'The request body holds a string that is not valid Unicode.');
  }
}

/**
 * The fingerprint of a request under one Idempotency-Key: SHA-256 (hex) of the method, the path
 * and `body`, the canonical JSON of the parsed body (`canonicalJson`), so key order and
 * whitespace do not make a retry a "different request".
 */
export function requestHash(method: string, path: string, body: string | null): string {
  return createHash('sha256')
    .update(`${method}\n${path}\n${body ?? ''}`)
    .digest('hex');
}

export function readIdempotencyKey(headers: Record<string, string | undefined>): string {
  const key = headers['idempotency-key'];
  if (key === undefined || key === '') {
    throw badRequest('idempotency_key_missing', 'The Idempotency-Key header is required on this request.');
  }
  if (!KEY_PATTERN.test(key)) {
    throw badRequest('idempotency_key_invalid', 'Idempotency-Key must be 1–255 printable ASCII characters.');
  }
  return key;
}

const keyOf = (scope: string, key: string) => ({ pk: `IDEM#${scope}#${key}`, sk: 'IDEM' });

export type ClaimOutcome =
  | { kind: 'claimed'; scope: IdempotencyScope }
  | { kind: 'replay'; response: StoredResponse };

type Claimed = ClaimOutcome & { release?: (response?: StoredResponse) => Promise<void> };

/**
 * Claims the key, or returns the stored response, or throws 409 `idempotency_request_in_progress`
 * or 422 `idempotency_key_reused`.
 */
export async function claim(
  scope: string,
  key: string,
  hash: string,
  clock: Clock,
  options: { sealer?: ResponseSealer } = {},
): Promise<Claimed> {
  const now = clock.now();
  const nowMs = now.getTime();
  const recordKey = keyOf(scope, key);
  const fresh: IdempotencyRecord = {
    ...recordKey,
    status: 'in_flight',
    requestHash: hash,
    lockToken: randomBytes(16).toString('hex'),
    lockedUntil: nowMs + LOCK_MS,
    createdAt: now.toISOString(),
    expiresAtMs: nowMs + IDEMPOTENCY_TTL_MS,
    ttl: Math.floor((nowMs + IDEMPOTENCY_TTL_MS) / 1000),
  };
  try {
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: { type: 'idempotency', ...fresh },
        // Free, expired, or an abandoned claim of the same request.
        ConditionExpression:
          'attribute_not_exists(pk) OR expiresAtMs < :now OR (#status = :inFlight AND lockedUntil < :now AND requestHash = :hash)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':now': nowMs, ':inFlight': 'in_flight', ':hash': hash },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { kind: 'replay', response: await replayOf(recordKey, hash, options.sealer) };
  }
  return claimedScope(fresh, options.sealer);
}

/** The key is taken: the stored response of the same request, else 409 (in flight) or 422 (reused). */
async function replayOf(
  recordKey: { pk: string; sk: string },
  hash: string,
  sealer: ResponseSealer | undefined,
): Promise<StoredResponse> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: recordKey, ConsistentRead: true }),
  );
  const existing = Item as IdempotencyRecord | undefined;
  if (!existing)
    throw conflict('idempotency_request_in_progress', 'A request with this Idempotency-Key is in progress.');
  if (existing.requestHash !== hash) {
    throw new ApiError(
      422,
      'idempotency_error',
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request. Use a new key for a new request.',
    );
  }
  if (existing.status === 'complete' && existing.response) {
    return unseal(existing.response, sealer, recordKey.pk);
  }
  throw conflict(
    'idempotency_request_in_progress',
    'A request with this Idempotency-Key is still in progress; retry after it completes.',
  );
}

/** The scope of a claim held: commit with the business items, or release. */
function claimedScope(fresh: IdempotencyRecord, sealer: ResponseSealer | undefined): Claimed {
  const recordKey = { pk: fresh.pk, sk: fresh.sk };
  let committed = false;
  const holdsClaim = {
    ConditionExpression: '#status = :inFlight AND lockToken = :lock',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':inFlight': 'in_flight', ':lock': fresh.lockToken },
  };
  const completed = async (response: StoredResponse) => ({
    ...fresh,
    type: 'idempotency',
    status: 'complete' as const,
    response: await seal(response, sealer, recordKey.pk),
    lockToken: undefined,
    lockedUntil: undefined,
  });
  const ignoreLostClaim = (error: unknown) => {
    if (!isConditionFailure(error)) throw error;
  };
  const scopeApi: IdempotencyScope = {
    get committed() {
      return committed;
    },
    async commit(items, response) {
      const transaction = new Transaction<'business' | 'claim'>()
        .add('business', ...items)
        .add('claim', { Put: { TableName: tableName(), Item: await completed(response), ...holdsClaim } });
      try {
        await ddb().send(new TransactWriteCommand({ TransactItems: transaction.items }));
      } catch (error) {
        if (transaction.cancellation(error)?.lost('claim')) {
          throw conflict('idempotency_request_in_progress', 'The Idempotency-Key claim was lost; retry.');
        }
        throw error;
      }
      committed = true;
    },
  };
  return {
    kind: 'claimed',
    scope: scopeApi,
    /** Stores a final (4xx) response on its own, or frees the key (5xx) so a retry can run. */
    release: async (response) => {
      if (committed) return;
      const written = response
        ? ddb().send(
            new PutCommand({ TableName: tableName(), Item: await completed(response), ...holdsClaim }),
          )
        : ddb().send(new DeleteCommand({ TableName: tableName(), Key: recordKey, ...holdsClaim }));
      await written.catch(ignoreLostClaim);
    },
  };
}

export function toStoredResponse(result: APIGatewayProxyResult): StoredResponse {
  const contentType = Object.entries(result.headers ?? {}).find(
    ([k]) => k.toLowerCase() === 'content-type',
  )?.[1];
  return {
    statusCode: result.statusCode,
    contentType: String(contentType ?? 'application/json'),
    body: result.body,
  };
}
