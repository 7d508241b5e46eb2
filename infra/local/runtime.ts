import { mkdirSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { config, resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { keyService, setKeyService, setLocalKeyServiceFactory } from '../../functions/lib/key-service.ts';
import { LocalKeyService } from '../../functions/lib/key-service-local.ts';
import { resetSecrets } from '../../functions/lib/secrets.ts';
import { setLocalUsageKeys } from '../../functions/merchants/usage-keys.ts';
import { monitorStream } from '../../functions/monitoring/stream-handler.ts';
import { createTables, tableEnv } from './bootstrap-tables.ts';
import { registerLocalCollection } from './collection.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.ts';
import { type Gateway, startGateway } from './gateway.ts';
import { resolveOperatorToken } from './operator-token.ts';
import type { OnProgress } from './progress.ts';
import { type Scheduler, startScheduler } from './scheduler.ts';
import { seedDemoMerchant } from './seed.ts';
import { startLedgerFeed } from './settlements.ts';
import { type StreamPoller, startStreamPoller } from './streams.ts';
import { LocalUsageKeys } from './usage-keys.ts';

export interface LocalRuntimeOptions {
  dataDir: string;
  port?: number;
  /**
   * Use an already running DynamoDB Local (tests), or start one persisting under the data dir.
   * `accessKeyId` picks the database on an instance started without `-sharedDb` (one per access
   * key and region): each test file has its own. Default `local`.
   */
  dynamodb: { endpoint: string; accessKeyId?: string | undefined } | { dbPath: string; port?: number };
  tablePrefix?: string;
  operatorToken?: string;
  seed?: boolean;
  scheduler?: boolean;
  throttle?: { ratePerSecond: number; burst: number };
  /**
   * Merchant routes require the usage key (`x-api-key`) issued at onboarding, as deployed with the
   * `merchantApiKeys` context (keys kept in `<data dir>/usage-keys.json`). Default off; `npm start`
   * and the e2e tests turn it on.
   */
  merchantApiKeys?: boolean;
  onProgress?: OnProgress;
}

export interface LocalRuntime {
  url: string;
  operatorToken: string;
  operatorTokenSource: string;
  dynamodbEndpoint: string;
  demoMerchant?: { merchantId: string; apiKey?: string; usageKey?: string };
  scheduler?: Scheduler;
  /** The main table's stream feeding the merchant ledger; `drain()` brings the ledger up to date. */
  ledgerFeed: StreamPoller;
  /** Account monitoring's stream consumer (rules across entities, signals from the audit trail). */
  riskFeed: StreamPoller;
  close(): Promise<void>;
}

/**
 * The whole system in one process: DynamoDB Local, tables, the handlers behind the local gateway,
 * the scheduler and the seed. `npm start` and the e2e tests both use it.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const progress = options.onProgress ?? (() => {});
  mkdirSync(options.dataDir, { recursive: true });
  const operator = options.operatorToken
    ? { token: options.operatorToken, source: 'option' }
    : resolveOperatorToken(options.dataDir);

  let dynamo: DynamoDbLocal | undefined;
  let endpoint: string;
  if ('endpoint' in options.dynamodb) {
    endpoint = options.dynamodb.endpoint;
  } else {
    progress('starting DynamoDB Local…');
    dynamo = await startDynamoDbLocal(
      { dbPath: options.dynamodb.dbPath },
      { ...(options.dynamodb.port ? { port: options.dynamodb.port } : {}), onProgress: progress },
    );
    endpoint = dynamo.endpoint;
  }

  const prefix = options.tablePrefix ?? 'tessera-local-';
  Object.assign(process.env, {
    ...tableEnv(prefix),
    DYNAMODB_ENDPOINT: endpoint,
    TESSERA_LOCAL: '1',
    TESSERA_DATA_DIR: options.dataDir,
    STAGE: 'local',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    // DynamoDB Local accepts any credentials; never pick up real ones.
    AWS_ACCESS_KEY_ID: ('accessKeyId' in options.dynamodb && options.dynamodb.accessKeyId) || 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  resetConfig();
  resetDdb();
  resetSecrets();
  // The local adapter is chosen here, never in functions/ (Lambda bundles must not contain it).
  setLocalKeyServiceFactory((dataDir) => new LocalKeyService({ dataDir }));
  setKeyService(undefined);
  const usageKeys = options.merchantApiKeys ? new LocalUsageKeys({ dataDir: options.dataDir }) : undefined;
  setLocalUsageKeys(usageKeys);

  try {
    // The local key service creates its wrapping keys on first use: do it now, and prove it works.
    progress('checking the local key service…');
    await keyService().generateDataKey(config().SECRETS_KEY_ID, { purpose: 'startup-check' });

    progress('creating tables…');
    const admin = new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1' });
    await createTables(admin, prefix, undefined, { onProgress: progress });
    admin.destroy();

    const demoMerchant = options.seed ? await seedDemoMerchant() : undefined;
    registerLocalCollection();
    const ledgerFeed = startLedgerFeed(endpoint, config().TABLE_NAME, Boolean(options.scheduler));
    const scheduler = options.scheduler ? startScheduler() : undefined;
    // Account monitoring's stream consumer, as its event source mapping in AWS: polled with the
    // scheduler (npm start); tests drain it when they need it.
    const riskFeed: StreamPoller = startStreamPoller({
      endpoint,
      tableName: config().TABLE_NAME,
      handler: monitorStream,
      ...(options.scheduler ? { everyMs: 1_000 } : {}),
      log: (line) => process.stderr.write(`[risk-stream] ${line}\n`),
    });
    const gateway: Gateway = await startGateway({
      operatorToken: operator.token,
      includeLocalOnly: true,
      ...(usageKeys ? { usageKeys } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.throttle ? { throttle: options.throttle } : {}),
    });
    return {
      url: gateway.url,
      operatorToken: operator.token,
      operatorTokenSource: operator.source,
      dynamodbEndpoint: endpoint,
      ...(demoMerchant ? { demoMerchant } : {}),
      ...(scheduler ? { scheduler } : {}),
      ledgerFeed,
      riskFeed,
      close: async () => {
        scheduler?.stop();
        riskFeed.stop();
        ledgerFeed.stop();
        await gateway.close();
        setLocalUsageKeys(undefined);
        resetDdb();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await dynamo?.stop();
    throw error;
  }
}
