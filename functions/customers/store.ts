import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import type { TransactItem } from '../lib/transactions.ts';

/**
 * Keys (single table):
 *   CUSTOMER#<id> / PROFILE          the customer, with `version` for conditional changes
 *   EMAIL#<normalized> / EMAIL       uniqueness of the email, and email -> customer for sign-in
 *   CUSTOMER#<id> / DEVICE#<hash>    devices seen at sign-in (keyed hash of user agent + IP)
 *   PWRESET#<pwr> / PWRESET          a password reset: the SHA-256 of its secret, single use, expires
 */
export interface CustomerRecord {
  id: string;
  email: string;
  phone?: string;
  passwordHash: string;
  /** When a one-time code sent to the email / phone came back: only then it gets codes and alerts. */
  emailVerifiedAt?: string;
  phoneVerifiedAt?: string;
  passwordChangedAt?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

const profileKey = (id: string) => ({ pk: `CUSTOMER#${id}`, sk: 'PROFILE' });
const emailKey = (email: string) => ({ pk: `EMAIL#${email}`, sk: 'EMAIL' });
const deviceKey = (customerId: string, hash: string) => ({
  pk: `CUSTOMER#${customerId}`,
  sk: `DEVICE#${hash}`,
});

/** The email claim and the profile, both write-once; callers add the audit item. */
export function createCustomerItems(customer: CustomerRecord): {
  emailClaim: TransactItem;
  profile: TransactItem;
} {
  return {
    emailClaim: {
      Put: {
        TableName: tableName(),
        Item: { ...emailKey(customer.email), type: 'email', customerId: customer.id },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    profile: {
      Put: {
        TableName: tableName(),
        Item: { ...profileKey(customer.id), type: 'customer', ...customer },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
}

export async function getCustomer(id: string): Promise<CustomerRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: profileKey(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return fromItem<CustomerRecord>(Item);
}

export async function findCustomerIdByEmail(email: string): Promise<string | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: emailKey(email), ConsistentRead: true }),
  );
  return typeof Item?.customerId === 'string' ? Item.customerId : undefined;
}

export function knownDeviceItem(customerId: string, hash: string, at: string): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...deviceKey(customerId, hash), type: 'device', firstSeenAt: at },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Records the device; true when it was new to this customer. */
export async function rememberDevice(customerId: string, hash: string, at: string): Promise<boolean> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...deviceKey(customerId, hash), type: 'device', firstSeenAt: at },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: deviceKey(customerId, hash),
        UpdateExpression: 'SET lastSeenAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
    return false;
  }
}

export type ContactKind = 'email' | 'phone';
const VERIFIED_AT: Record<ContactKind, 'emailVerifiedAt' | 'phoneVerifiedAt'> = {
  email: 'emailVerifiedAt',
  phone: 'phoneVerifiedAt',
};

/** Marks the customer's current email or phone verified, only if it is still `address` and unchanged since read. */
export function verifyContactItem(
  customer: CustomerRecord,
  kind: ContactKind,
  address: string,
  at: string,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: profileKey(customer.id),
      UpdateExpression: 'SET #verifiedAt = :at, updatedAt = :at, version = version + :one',
      ConditionExpression: 'version = :version AND #contact = :address',
      ExpressionAttributeNames: { '#verifiedAt': VERIFIED_AT[kind], '#contact': kind },
      ExpressionAttributeValues: { ':at': at, ':one': 1, ':version': customer.version, ':address': address },
    },
  };
}

/**
 * Replaces the customer's email or phone by `address`, verified (its code just came back). A new
 * email moves the email claim: the old one is released and the new one must be free.
 */
export function changeContactItems(
  customer: CustomerRecord,
  kind: ContactKind,
  address: string,
  at: string,
): TransactItem[] {
  const profile: TransactItem = {
    Update: {
      TableName: tableName(),
      Key: profileKey(customer.id),
      UpdateExpression:
        'SET #contact = :address, #verifiedAt = :at, updatedAt = :at, version = version + :one',
      ConditionExpression: 'version = :version',
      ExpressionAttributeNames: { '#verifiedAt': VERIFIED_AT[kind], '#contact': kind },
      ExpressionAttributeValues: { ':at': at, ':one': 1, ':version': customer.version, ':address': address },
    },
  };
  if (kind === 'phone') return [profile];
  return [
    profile,
    {
      Delete: {
        TableName: tableName(),
        Key: emailKey(customer.email),
        ConditionExpression: 'customerId = :id',
        ExpressionAttributeValues: { ':id': customer.id },
      },
    },
    {
      Put: {
        TableName: tableName(),
        Item: { ...emailKey(address), type: 'email', customerId: customer.id },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

/** A new password hash, only over the one read (so two changes never both win). */
export function setPasswordItem(customer: CustomerRecord, passwordHash: string, at: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: profileKey(customer.id),
      UpdateExpression:
        'SET passwordHash = :hash, passwordChangedAt = :at, updatedAt = :at, version = version + :one',
      ConditionExpression: 'version = :version AND passwordHash = :seen',
      ExpressionAttributeValues: {
        ':hash': passwordHash,
        ':at': at,
        ':one': 1,
        ':version': customer.version,
        ':seen': customer.passwordHash,
      },
    },
  };
}

export interface PasswordResetRecord {
  id: string;
  customerId: string;
  /** base64url SHA-256 of the emailed secret (256 random bits: no search can invert it). */
  secretHash: string;
  /** What the reset is bound to: a keyed hash of the email and a SHA-256 of the password hash it replaces. */
  emailKey: string;
  passwordKey: string;
  status: 'pending' | 'used';
  createdAt: string;
  expiresAtMs: number;
}

const resetKey = (id: string) => ({ pk: `PWRESET#${id}`, sk: 'PWRESET' });

export function putPasswordResetItem(record: PasswordResetRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...resetKey(record.id),
        type: 'passwordReset',
        ...record,
        ttl: Math.ceil(record.expiresAtMs / 1000) + 86_400,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function getPasswordReset(id: string): Promise<PasswordResetRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: resetKey(id), ConsistentRead: true }),
  );
  return Item ? fromItem<PasswordResetRecord>(Item, { drop: ['ttl'] }) : undefined;
}

/** Uses the reset up: once, and only before it expires. */
export function useResetItem(id: string, nowMs: number, at: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: resetKey(id),
      UpdateExpression: 'SET #status = :used, usedAt = :at',
      ConditionExpression: '#status = :pending AND expiresAtMs > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':used': 'used', ':pending': 'pending', ':now': nowMs, ':at': at },
    },
  };
}
