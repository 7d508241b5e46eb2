import { Aws, type Duration, NestedStack, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { QUEUE_URL_ENV } from '../../functions/lib/queues.ts';
import { MAIN_TABLE, TABLES, type TableDefinition, VAULT_TABLE } from '../../functions/lib/tables.ts';
import { readsRiskConfig } from '../risk-config.ts';
import type { RouteAccess } from '../routes/index.ts';
import { type Data, tableName } from './data.ts';
import { PROJECT_ROOT, TesseraFunction } from './function.ts';
import type { LeastPrivilegeRole } from './iam.ts';
import { Keys } from './keys.ts';
import { callsProcessor, type VaultNetwork } from './network.ts';
import type { Notifications } from './notify.ts';
import { Secrets } from './secrets.ts';

/**
 * Least-privilege functions from a `RouteAccess`, shared by the API (one function per route) and
 * the scheduled jobs (one per job), so both get exactly the same grants for the same access.
 */
export interface AccessContext {
  stage: string;
  data: Data;
  keys: Keys;
  secrets: Secrets;
  notifications: Notifications;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
  /** The cardholder data environment's network, created on first use by a vault function. */
  vaultNetwork: () => VaultNetwork;
  /** The collection queues a function may send to (`RouteAccess.queues`). */
  queues?: (name: 'collection-shards' | 'collection-charges') => IQueue;
  /** CARD_PROCESSOR of every function (functions/payments/processor-config.ts). */
  cardProcessor: 'sandbox' | 'stripe';
  /**
   * Reserved concurrency of each card-data (CDE) function: a ceiling on how fast card data can be
   * read, whatever floods the API, and capacity no other function can take from it.
   */
  cdeReservedConcurrency: number;
  /**
   * RISK_CONFIG (validated JSON, infra/risk-config.ts) of every function whose bundle reads it;
   * absent: no function gets the variable and the code's defaults apply.
   */
  riskConfig?: string;
}

/** A nested stack of functions, with every table referenced by name inside it. */
export interface FunctionStack {
  stack: NestedStack;
  /** The tables, referenced by name from inside the nested stack. */
  tables: ReadonlyMap<string, ITable>;
}

/**
 * Tables are referenced by name in the nested stack, which keeps every ARN in a role policy
 * readable and its acknowledgements exact.
 */
export function functionStack(
  scope: Construct,
  id: string,
  description: string,
  stage: string,
): FunctionStack {
  const stack = new NestedStack(scope, id, { description });
  const tables = new Map<string, ITable>();
  for (const definition of TABLES) {
    tables.set(
      definition.logicalName,
      Table.fromTableAttributes(stack, `${pascal(definition.logicalName)}Table`, {
        tableName: tableName(stage, definition),
        // No key here: the grant below adds the key rights itself, for DynamoDB's use only.
        globalIndexes: definition.indexes.map((i) => i.name),
      }),
    );
  }
  return { stack, tables };
}

/** Anything that touches the vault table or key is part of the cardholder data environment. */
export const inCde = (access: RouteAccess): boolean =>
  access.vault !== undefined || (access.keys ?? []).some((k) => k.startsWith('vault:'));

/**
 * The fixed execution-role name of a CDE function: the vault key policy names these roles (see
 * `Keys.restrictVaultKey`). IAM names are global to the account, so the name carries the stage and
 * the region.
 */
export function cdeRoleName(stage: string, id: string): string {
  // Regions are at most 14 characters today (ap-southeast-7); leave room for a longer one.
  if (`tessera-${stage}-${'x'.repeat(16)}-${id}`.length > 64) {
    throw new Error(`${id}: the role name would exceed IAM's 64 characters; shorten the id`);
  }
  return `tessera-${stage}-${Aws.REGION}-${id}`;
}

export interface AccessFunctionProps {
  entry: string;
  handler: string;
  description: string;
  access: RouteAccess;
  /** Receives the function's failed asynchronous invocations. */
  deadLetterQueue: IQueue;
  timeout?: Duration;
  /** Reserved concurrency (queue consumers: their event source's maximum); CDE functions get at least the stage's. */
  reservedConcurrency?: number;
}

/**
 * One function with exactly the data, key, secret and notification rights `access` lists: its
 * environment names only those keys and secrets, a CDE function runs in the vault network whose
 * endpoints admit exactly what it was granted, and its role carries the acknowledgements that
 * explain its remaining wildcards.
 */
export function accessFunction(
  where: FunctionStack,
  id: string,
  props: AccessFunctionProps,
  context: AccessContext,
): TesseraFunction {
  const { access } = props;
  const table = (definition: TableDefinition) =>
    where.tables.get(definition.logicalName) ?? never(definition);
  const environment: Record<string, string> = { CARD_PROCESSOR: context.cardProcessor };
  for (const use of access.keys ?? []) environment[Keys.envVar(use)] = context.keys.keyFor(use).keyArn;
  for (const name of access.secrets ?? []) {
    environment[Secrets.envVar(name)] = context.secrets.secret(name).secretArn;
  }
  if (access.notify) Object.assign(environment, context.notifications.environment);
  if (context.riskConfig !== undefined && readsRiskConfig(props.entry, PROJECT_ROOT)) {
    environment.RISK_CONFIG = context.riskConfig;
  }
  const queues = (access.queues ?? []).map((name) => {
    if (!context.queues) throw new Error(`${id}: no collection queues in this stack for ${name}`);
    const queue = context.queues(name);
    environment[QUEUE_URL_ENV[name]] = queue.queueUrl;
    return queue;
  });

  const network = inCde(access) ? context.vaultNetwork() : undefined;
  if (network && access.notify) {
    throw new Error(
      `${id}: vault functions cannot notify (no SNS/SES endpoint in the CDE); emit an event instead`,
    );
  }

  const fn = new TesseraFunction(where.stack, id, {
    entry: props.entry,
    handler: props.handler,
    stage: context.stage,
    description: props.description.slice(0, 256),
    environment,
    deadLetterQueue: props.deadLetterQueue,
    logKey: context.keys.ops,
    logRetention: context.logRetention,
    logRemovalPolicy: context.logRemovalPolicy,
    ...(props.timeout ? { timeout: props.timeout } : {}),
    ...(network ? { network, roleName: cdeRoleName(context.stage, id) } : {}),
    ...(network && callsProcessor(access) ? { callsProcessor: true } : {}),
    ...reservedConcurrency(props.reservedConcurrency, network ? context.cdeReservedConcurrency : undefined),
  });
  const role = fn.executionRole;

  const tableKey = (definition: TableDefinition) =>
    context.data.table(definition).encryptionKey ?? never(definition);
  grantTable(role, table(MAIN_TABLE), tableKey(MAIN_TABLE), MAIN_TABLE, access.main);
  grantTable(role, table(VAULT_TABLE), tableKey(VAULT_TABLE), VAULT_TABLE, access.vault);
  const keys = access.keys ?? [];
  for (const use of keys) context.keys.grant(role, use, fn.fixedRoleArn);
  for (const name of access.secrets ?? []) {
    // An unconditional vault:decrypt already covers Secrets Manager's decrypt of a vault-key secret.
    const keyGranted = Secrets.keyOf(name) === 'vault' && keys.includes('vault:decrypt');
    context.secrets.grantRead(name, role, { keyGranted });
  }
  if (access.notify) context.notifications.grantSend(role);
  for (const queue of queues) queue.grantSendMessages(role);

  if (network) {
    // The CDE's endpoints admit exactly what its functions were granted.
    if (access.main) network.allowTable(context.data.table(MAIN_TABLE));
    if (access.vault) network.allowTable(context.data.table(VAULT_TABLE));
    for (const use of keys) network.allowKey(context.keys.keyFor(use), Keys.actions(use));
    for (const name of access.secrets ?? []) network.allowSecret(context.secrets.secret(name));
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords) and the network interface lookups Lambda ' +
          'makes for a VPC function (ec2:DescribeNetworkInterfaces, ec2:DescribeSubnets) do not support ' +
          'resource-level permissions. No other statement of this role has a * resource (asserted in test/infra).',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:*/*]`,
        reason:
          "Lambda creates, re-addresses and deletes this function's network interfaces in the vault subnets; " +
          'their ids are unknown in advance, so the grant is limited to this account and region.',
      },
    );
  } else {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level ' +
        'permissions. No other statement of this role has a * resource (asserted in test/infra).',
    });
    Validations.of(fn).acknowledge({
      id: 'PCI.DSS.321-LambdaInsideVPC',
      reason:
        'Only the vault functions handle cardholder data, and they run in the isolated vault subnets. This ' +
        'function never touches the vault table or the vault key, which IAM enforces.',
    });
  }
  return fn;
}

/**
 * DynamoDB rights for one table, plus the table key's rights for DynamoDB's use only. CDK's table
 * grant would give the role the key itself; the vault table's key is also the card envelope key,
 * so a vault reader could then call KMS Decrypt on card data keys directly. With `kms:ViaService`
 * the key only works for DynamoDB requests, and direct vault-key use stays with `RouteAccess.keys`.
 */
function grantTable(
  role: LeastPrivilegeRole,
  table: ITable,
  key: IKey,
  definition: TableDefinition,
  level: 'read' | 'readwrite' | undefined,
): void {
  if (!level) return;
  if (level === 'read') table.grantReadData(role);
  else table.grantReadWriteData(role);
  // The same key actions CDK's grantReadData / grantReadWriteData use, bound to DynamoDB.
  const keyActions = ['kms:Decrypt', 'kms:DescribeKey'];
  if (level === 'readwrite') keyActions.push('kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*');
  Grant.addToPrincipal({
    grantee: role,
    actions: keyActions,
    resourceArns: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(role).region}.amazonaws.com` } },
  });
  if (definition.indexes.length > 0) {
    // The table is referenced by name in the role's stack, so its ARN renders as this string.
    const indexes = `arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/${table.tableName}/index/*`;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${indexes}]`,
      reason: `Queries use the ${definition.logicalName} table's own GSIs (${definition.indexes
        .map((i) => i.name)
        .join(', ')}); the wildcard covers that one table's indexes and nothing else.`,
    });
  }
  if (level === 'readwrite') {
    const reason =
      `Writes to the ${definition.logicalName} table, which is encrypted with a customer-managed key: DynamoDB ` +
      'needs kms:GenerateDataKey*/kms:ReEncrypt* on that one key, and the statement is scoped to its ARN and ' +
      'to requests made through DynamoDB (kms:ViaService).';
    Validations.of(role).acknowledge(
      { id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason },
      { id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason },
    );
  }
}

function reservedConcurrency(own?: number, cde?: number): { reservedConcurrency?: number } {
  const value = Math.max(own ?? 0, cde ?? 0);
  return value > 0 ? { reservedConcurrency: value } : {};
}

export const pascal = (name: string) =>
  name.replace(/(^|[-_])([a-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

function never(definition: TableDefinition): never {
  throw new Error(`No table for definition "${definition.logicalName}"`);
}
