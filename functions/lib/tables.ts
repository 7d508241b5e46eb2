/**
 * The single definition of every DynamoDB table: keys, GSIs, TTL and streams. The CDK data
 * construct and the local table bootstrap both read it, so the two cannot drift.
 *
 * Tables are named `<prefix><logicalName>` (prefix: stage in AWS, a random one per test file).
 * Functions learn the physical names from the environment variable named in `envVar`.
 */
export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
}

export interface TableDefinition {
  logicalName: string;
  envVar: string;
  partitionKey: string;
  sortKey: string;
  indexes: IndexDefinition[];
  ttlAttribute?: string;
  stream?: 'NEW_AND_OLD_IMAGES';
}

/** Generic inverted lookups: a merchant's orders, a customer's cards, an email to its customer, … */
export const GSI1 = 'gsi1';
/**
 * A second inverted lookup, for records whose gsi1 is taken: a merchant's orders by status
 * (`MERCHANT#<mer>#STATUS#<status>` -> order id, moved by every status change) and a merchant's
 * webhook events by time (`MERCHANT#<mer>#EVENTS` -> event id). Both are Queries; never a Scan.
 */
export const GSI2 = 'gsi2';
/** Sparse index of installments that fall due: `DUE#<yyyy-mm-dd>#<shard>` -> installment. */
export const DUE_INDEX = 'due';

export const MAIN_TABLE: TableDefinition = {
  logicalName: 'main',
  envVar: 'TABLE_NAME',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: GSI1, partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: GSI2, partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { name: DUE_INDEX, partitionKey: 'duePk', sortKey: 'dueSk' },
  ],
  ttlAttribute: 'ttl',
  stream: 'NEW_AND_OLD_IMAGES',
};

/** The cardholder data environment: only the vault and the charger may touch it. No stream. */
export const VAULT_TABLE: TableDefinition = {
  logicalName: 'vault',
  envVar: 'VAULT_TABLE_NAME',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [],
  ttlAttribute: 'ttl',
};

export const TABLES: readonly TableDefinition[] = [MAIN_TABLE, VAULT_TABLE];
