import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition, VAULT_TABLE } from '../../functions/lib/tables.ts';

export interface DataProps {
  stage: string;
  /** Encrypts the vault table (the cardholder data environment). */
  vaultKey: IKey;
  /** Encrypts every other table. */
  dataKey: IKey;
}

/** Physical table name: `<prefix><logicalName>`, with the prefix `tessera-<stage>-` in AWS. */
export const tableName = (stage: string, definition: TableDefinition) =>
  `tessera-${stage}-${definition.logicalName}`;

/**
 * One DynamoDB table per entry of `TABLES`. Keys, indexes, TTL and streams are read from the
 * definition only, so the deployed tables and the local ones cannot drift.
 */
export class Data extends Construct {
  /** By logical name (`main`, `vault`, …). */
  readonly tables: ReadonlyMap<string, Table>;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const tables = new Map<string, Table>();
    for (const definition of TABLES) {
      const isVault = definition.logicalName === VAULT_TABLE.logicalName;
      const table = new Table(
        this,
        `${definition.logicalName[0]?.toUpperCase()}${definition.logicalName.slice(1)}`,
        {
          tableName: tableName(props.stage, definition),
          partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
          sortKey: { name: definition.sortKey, type: AttributeType.STRING },
          billingMode: BillingMode.PAY_PER_REQUEST,
          encryption: TableEncryption.CUSTOMER_MANAGED,
          encryptionKey: isVault ? props.vaultKey : props.dataKey,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          deletionProtection: true,
          // Ledger and card data outlive any stack: never delete a table with the stack.
          removalPolicy: RemovalPolicy.RETAIN,
          ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
          ...(definition.stream ? { stream: StreamViewType[definition.stream] } : {}),
        },
      );
      for (const index of definition.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        });
      }
      tables.set(definition.logicalName, table);
    }
    this.tables = tables;
  }

  /** The table for a definition; throws if `TABLES` and a caller disagree. */
  table(definition: TableDefinition): Table {
    const table = this.tables.get(definition.logicalName);
    if (!table) throw new Error(`No table for definition "${definition.logicalName}"`);
    return table;
  }
}
