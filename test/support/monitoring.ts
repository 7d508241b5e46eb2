import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import type { RiskEvent } from '../../functions/monitoring/risk.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

/**
 * Runs this test file with the default risk rules: the suites' lenient RISK_CONFIG
 * (test/support/setup-env.ts) is removed, and put back after the file.
 */
export function withDefaultRiskRules(): void {
  const saved = process.env.RISK_CONFIG;
  delete process.env.RISK_CONFIG;
  afterAll(() => {
    process.env.RISK_CONFIG = saved;
  });
}

/**
 * Tables of this file's own (prefix `<letter><random>-`) on the shared DynamoDB Local, with the
 * default risk rules, for monitoring's integration tests that call its modules directly.
 */
export function monitoringTables(letter: string): void {
  let admin: DynamoDBClient | undefined;
  beforeAll(async () => {
    admin = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' });
    const prefix = `${letter}${randomBytes(4).toString('hex')}-`;
    Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') });
    delete process.env.RISK_CONFIG;
    resetConfig();
    resetDdb();
    await createTables(admin, prefix);
  });
  afterAll(() => admin?.destroy());
}

/** A random id with a prefix: every test has its own entities, so aggregates never mix. */
export const unique = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

/** A customer with a card, a device and an IP of their own. */
export function actor(): Required<Pick<RiskEvent, 'customerId' | 'cardFingerprint' | 'deviceId' | 'ipHash'>> {
  return {
    customerId: unique('cus'),
    cardFingerprint: unique('fp'),
    deviceId: unique('dev'),
    ipHash: unique('ip'),
  };
}
