import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import type { TransactItem } from '../lib/transactions.ts';

/**
 * Keys (single table):
 *   CUSTOMER#<id> / PROFILE          the customer, with `version` for conditional changes
 *   EMAIL#<normalized> / EMAIL       uniqueness of the email, and email -> customer for sign-in
 *   CUSTOMER#<id> / DEVICE#<hash>    devices seen at sign-in (keyed hash of user agent + IP)
 */
export interface CustomerRecord {
  id: string;
  email: string;
  phone?: string;
  passwordHash: string;
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
