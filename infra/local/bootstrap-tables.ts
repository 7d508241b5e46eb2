/**
 * Creates the tables of `functions/lib/tables.ts` in DynamoDB Local (or any endpoint), the same way
 * the CDK data construct declares them in AWS. Idempotent, so `npm start` runs it on every boot.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLES, type TableDefinition } from '../../functions/lib/tables.ts';
import type { OnProgress } from './progress.ts';

// A type alias, not an interface, so it is assignable to Record<string, string> (the overloads).
export type TableNames = {
  main: string;
  vault: string;
};

export interface TableEnv {
  TABLE_NAME: string;
  VAULT_TABLE_NAME: string;
}

export interface CreateTablesOptions {
  onProgress?: OnProgress;
  /** How long to wait for a table to become ACTIVE (instant locally, seconds in AWS). */
  activeTimeoutMs?: number;
}

export function physicalName(prefix: string, def: TableDefinition): string {
  return `${prefix}${def.logicalName}`;
}

/** The environment variables through which functions learn the physical table names. */
export function tableEnv(prefix: string): TableEnv {
  const env: Record<string, string> = {};
  for (const def of TABLES) env[def.envVar] = physicalName(prefix, def);
  const { TABLE_NAME, VAULT_TABLE_NAME } = env;
  if (!TABLE_NAME || !VAULT_TABLE_NAME) {
    throw new Error('functions/lib/tables.ts no longer defines TABLE_NAME and VAULT_TABLE_NAME');
  }
  return { TABLE_NAME, VAULT_TABLE_NAME };
}

/**
 * Creates every table that does not exist yet and converges its TTL setting; an existing table is
 * never recreated (local data survives restarts). Returns the physical names by logical name.
 */
export function createTables(
  client: DynamoDBClient,
  prefix: string,
  defs?: undefined,
  options?: CreateTablesOptions,
): Promise<TableNames>;
export function createTables(
  client: DynamoDBClient,
  prefix: string,
  defs: readonly TableDefinition[],
  options?: CreateTablesOptions,
): Promise<Record<string, string>>;
export async function createTables(
  client: DynamoDBClient,
  prefix: string,
  defs: readonly TableDefinition[] = TABLES,
  options: CreateTablesOptions = {},
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    defs.map(async (def) => [def.logicalName, await ensureTable(client, prefix, def, options)] as const),
  );
  const names: Record<string, string> = Object.fromEntries(entries);
  if (defs === TABLES && (!names.main || !names.vault)) {
    throw new Error('functions/lib/tables.ts no longer defines the main and vault tables');
  }
  return names;
}

async function ensureTable(
  client: DynamoDBClient,
  prefix: string,
  def: TableDefinition,
  options: CreateTablesOptions,
): Promise<string> {
  const name = physicalName(prefix, def);
  const existing = await describe(client, name);
  if (existing) {
    assertSameShape(name, def, existing);
  } else {
    options.onProgress?.(`creating table ${name}…`);
    try {
      await client.send(new CreateTableCommand(createTableInput(name, def)));
    } catch (error) {
      // Lost a race with a concurrent bootstrap: the table exists, which is what we wanted.
      if (errorName(error) !== 'ResourceInUseException') throw error;
    }
  }
  await waitActive(client, name, options.activeTimeoutMs ?? 120_000);
  if (def.ttlAttribute) await ensureTtl(client, name, def.ttlAttribute);
  return name;
}

function createTableInput(name: string, def: TableDefinition) {
  const keyNames = [
    def.partitionKey,
    def.sortKey,
    ...def.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  const attributes: AttributeDefinition[] = [...new Set(keyNames)].map((AttributeName) => ({
    AttributeName,
    AttributeType: 'S',
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributes,
    KeySchema: [
      { AttributeName: def.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: def.sortKey, KeyType: 'RANGE' as const },
    ],
    ...(def.indexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
              { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
    ...(def.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } } : {}),
  };
}

async function describe(
  client: DynamoDBClient,
  name: string,
): Promise<DescribeTableCommandOutput['Table'] | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/**
 * A table kept from an older schema (e.g. in `.data/`) would fail later with confusing errors;
 * say which difference it is and how to fix it instead.
 */
function assertSameShape(
  name: string,
  def: TableDefinition,
  table: DescribeTableCommandOutput['Table'],
): void {
  const keys = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) =>
    (schema ?? []).map((k) => `${k.KeyType}:${k.AttributeName}`).join(',');
  const want = new Map(
    def.indexes.map((i) => [i.name, `HASH:${i.partitionKey},RANGE:${i.sortKey}`] as [string, string]),
  );
  const have = new Map(
    (table?.GlobalSecondaryIndexes ?? []).map(
      (i) => [i.IndexName ?? '', keys(i.KeySchema)] as [string, string],
    ),
  );
  const problems: string[] = [];
  if (keys(table?.KeySchema) !== `HASH:${def.partitionKey},RANGE:${def.sortKey}`) problems.push('key schema');
  for (const [index, schema] of want) {
    if (have.get(index) !== schema) problems.push(`index ${index}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `table ${name} exists with a different ${problems.join(', ')} than functions/lib/tables.ts; ` +
        'delete it (locally: remove the .data/ folder) so it is recreated',
    );
  }
}

async function waitActive(client: DynamoDBClient, name: string, timeoutMs: number): Promise<void> {
  // Elapsed time, not the business clock: a monotonic timer cannot be moved by TESSERA_CLOCK or NTP.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const table = await describe(client, name);
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (performance.now() > deadline)
      throw new Error(`table ${name} did not become ACTIVE within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

async function ensureTtl(client: DynamoDBClient, name: string, attribute: string): Promise<void> {
  const current = (await client.send(new DescribeTimeToLiveCommand({ TableName: name })))
    .TimeToLiveDescription;
  const status = current?.TimeToLiveStatus;
  if ((status === 'ENABLED' || status === 'ENABLING') && current?.AttributeName === attribute) return;
  // AWS rejects UpdateTimeToLive while a change is in flight or when already enabled, hence the check.
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
    }),
  );
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
