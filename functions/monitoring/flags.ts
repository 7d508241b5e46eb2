/**
 * Flags: what monitoring raises for operators to review. Items in the main table:
 *   FLAG#<flg_…> / FLAG            the flag: severity, rule, evidence, status; gsi1 `FLAGS#<status>`
 *   FLAGKEY#<dedupe key> / FLAGKEY one flag per key (a redelivered stream record raises nothing new)
 *   RISKSTATE#<customer> / STATE   `openHigh`: the customer's open high-severity flags (one GetItem
 *                                  answers "may money leave this account?")
 * Raising and resolving update the flag, its gsi1 entry and the customer's count in one transaction.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { countMetric } from '../lib/metrics.ts';
import { isCancellation, type TransactItem, writeTransaction } from '../lib/transactions.ts';

export type FlagSeverity = 'low' | 'medium' | 'high';
export type FlagStatus = 'open' | 'resolved';
export type FlagResolution = 'confirmed_fraud' | 'false_positive' | 'other';

export interface FlagRecord {
  id: string;
  status: FlagStatus;
  severity: FlagSeverity;
  /** The rule or detector that raised it. */
  rule: string;
  customerId?: string;
  /** What was seen: counts, ids, hashes; never personal data in clear. */
  evidence: Record<string, string | number>;
  createdAt: string;
  resolvedAt?: string;
  resolution?: FlagResolution;
  resolvedBy?: string;
  note?: string;
}

const flagKey = (id: string) => ({ pk: `FLAG#${id}`, sk: 'FLAG' });
const stateKey = (customerId: string) => ({ pk: `RISKSTATE#${customerId}`, sk: 'STATE' });
const listSk = (flag: Pick<FlagRecord, 'createdAt' | 'id'>) => `${flag.createdAt}#${flag.id}`;

function openHighDelta(customerId: string, delta: 1 | -1, at: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: stateKey(customerId),
      UpdateExpression: 'SET #type = :type, updatedAt = :at ADD openHigh :d',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':type': 'riskState', ':at': at, ':d': delta },
    },
  };
}

/**
 * Raises a flag, once per `dedupeKey`. Returns the flag, or undefined when that key already raised
 * one. `flag.raised` is emitted once per flag, when its transaction commits: an audit record in the
 * same transaction (the trail operators and the risk stream read), the CloudWatch counters
 * `RiskFlagRaised` and, for high severity, `RiskFlagRaisedHigh` (lib/metrics.ts; the
 * `RiskHighSeverityFlags` alarm of infra/constructs/monitoring.ts pages the on-call topic), and a
 * `flag.raised` log line. Not a merchant webhook: a flag is about a customer, and its evidence
 * (rules, other customers on a card) is for operators only. Throws on infrastructure errors.
 */
export async function raiseFlag(
  input: Omit<FlagRecord, 'id' | 'status' | 'createdAt'> & { dedupeKey: string },
  clock: Clock,
): Promise<FlagRecord | undefined> {
  const { dedupeKey, ...rest } = input;
  const now = clock.now();
  const flag: FlagRecord = { ...rest, id: newId('flag', now), status: 'open', createdAt: now.toISOString() };
  const items: TransactItem[] = [
    {
      Put: {
        TableName: tableName(),
        Item: { pk: `FLAGKEY#${dedupeKey}`, sk: 'FLAGKEY', type: 'flagKey', flagId: flag.id },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: tableName(),
        Item: { ...flagKey(flag.id), type: 'flag', ...flag, gsi1pk: 'FLAGS#open', gsi1sk: listSk(flag) },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    auditItem(
      {
        action: 'flag.raised',
        subject: flag.customerId ?? flag.id,
        actor: 'system:monitoring',
        reason: flag.rule,
        metadata: { flagId: flag.id, severity: flag.severity },
      },
      clock,
    ),
  ];
  if (flag.severity === 'high' && flag.customerId)
    items.push(openHighDelta(flag.customerId, 1, flag.createdAt));
  try {
    await writeTransaction(items);
  } catch (error) {
    if (isCancellation(error)) return undefined;
    throw error;
  }
  countMetric('RiskFlagRaised');
  if (flag.severity === 'high') countMetric('RiskFlagRaisedHigh');
  logger.warn('flag.raised', { flagId: flag.id, severity: flag.severity, rule: flag.rule });
  return flag;
}

export async function getFlag(id: string): Promise<FlagRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: flagKey(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { pk: _p, sk: _s, type: _t, gsi1pk: _g, gsi1sk: _k, ...flag } = Item;
  return flag as FlagRecord;
}

/** Flags by status, newest first, one page of at most `limit` (a Query of one gsi1 partition). */
export async function listFlags(
  status: FlagStatus,
  limit: number,
  before?: string,
): Promise<{ flags: FlagRecord[]; next?: string }> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'gsi1',
      KeyConditionExpression: before ? 'gsi1pk = :pk AND gsi1sk < :before' : 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': `FLAGS#${status}`, ...(before ? { ':before': before } : {}) },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  const flags = (out.Items ?? []).map((item) => {
    const { pk: _p, sk: _s, type: _t, gsi1pk: _g, gsi1sk: _k, ...flag } = item;
    return flag as FlagRecord;
  });
  const last = flags.at(-1);
  return { flags, ...(out.LastEvaluatedKey && last ? { next: listSk(last) } : {}) };
}

/**
 * Resolves an open flag (operator). Throws not_found for an unknown id; a flag already resolved is
 * returned as it is (idempotent). Audited with the operator and the resolution.
 */
export async function resolveFlag(
  id: string,
  resolution: { resolution: FlagResolution; note?: string; operator: string },
  clock: Clock,
): Promise<FlagRecord> {
  const flag = await getFlag(id);
  if (!flag) throw notFound(`No such flag: ${id}.`, 'id');
  if (flag.status === 'resolved') return flag;
  const at = clock.now().toISOString();
  const resolved: FlagRecord = {
    ...flag,
    status: 'resolved',
    resolvedAt: at,
    resolution: resolution.resolution,
    resolvedBy: resolution.operator,
    ...(resolution.note ? { note: resolution.note } : {}),
  };
  const items: TransactItem[] = [
    {
      Put: {
        TableName: tableName(),
        Item: { ...flagKey(id), type: 'flag', ...resolved, gsi1pk: 'FLAGS#resolved', gsi1sk: listSk(flag) },
        ConditionExpression: '#s = :open',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':open': 'open' },
      },
    },
    auditItem(
      {
        action: 'flag.resolved',
        subject: flag.customerId ?? flag.id,
        actor: resolution.operator,
        reason: resolution.resolution,
        metadata: { flagId: id },
      },
      clock,
    ),
  ];
  if (flag.severity === 'high' && flag.customerId) items.push(openHighDelta(flag.customerId, -1, at));
  try {
    await writeTransaction(items);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    return (await getFlag(id)) ?? resolved;
  }
  return resolved;
}

/** Whether the customer has an open high-severity flag (one GetItem): withdrawals are held then. */
export async function hasOpenHighSeverityFlag(customerId: string): Promise<boolean> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: stateKey(customerId), ConsistentRead: true }),
  );
  return Number(Item?.openHigh ?? 0) > 0;
}
