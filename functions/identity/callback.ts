/**
 * `POST /v1/identity/callbacks`: the provider's signed decision. Refused unless the signature over
 * the raw body verifies with the callback secret and its timestamp is within 5 minutes of our clock
 * (a forged or an old, replayed callback: 400 `callback_signature_invalid`), and unless its event id
 * is new (a replay inside the window: 409 `callback_replayed`; the marker is written in the same
 * transaction as the decision). Only a `pending` verification takes a provider decision.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import { readSignedCallback } from '../lib/signature.ts';
import { identityCallbackSecret } from './callback-secret.ts';
import { decide } from './decide.ts';
import { CALLBACK_TOLERANCE_SECONDS } from './policy.ts';
import { IdentityCallbackBody } from './schema.ts';
import * as store from './store.ts';

const replayed = () =>
  new DomainError('conflict', 'callback_replayed', 'This callback event was already received.');

async function seen(eventId: string): Promise<boolean> {
  const { Item } = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: { pk: `IDCALLBACK#${eventId}`, sk: 'EVENT' },
      ConsistentRead: true,
    }),
  );
  return Item !== undefined;
}

/** Verifies and applies one callback; `provider` names the adapter the secret belongs to. */
export async function receiveCallback(
  rawBody: string,
  signature: string | undefined,
  clock: Clock,
  provider = 'sandbox',
): Promise<{ received: true }> {
  const now = clock.now();
  const event = readSignedCallback(
    IdentityCallbackBody,
    rawBody,
    signature,
    await identityCallbackSecret(),
    now,
    CALLBACK_TOLERANCE_SECONDS,
  );
  if (await seen(event.id)) throw replayed();
  const record = await store.getVerification(event.data.verificationId);
  if (!record) throw new DomainError('not_found', 'resource_missing', 'No such verification.');
  if (record.status !== 'pending') {
    throw new DomainError(
      'conflict',
      'identity_verification_decided',
      'This verification was already decided.',
    );
  }
  await decide(
    record,
    {
      decision: event.data.decision,
      reasons: event.data.reasons,
      actor: `provider:${provider}`,
      providerRef: event.data.providerRef,
    },
    clock,
    { event: store.callbackEventItem(event.id, now), onEventLost: replayed },
  );
  return { received: true };
}
