import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/**
 * One in-memory DynamoDB Local for the whole run; each test file has its own database on it (its own
 * access key, test/support/setup-env.ts) and creates its own prefixed tables there.
 * The endpoint reaches workers both through `inject('dynamodbEndpoint')` and DYNAMODB_ENDPOINT
 * (workers inherit the environment, and functions/lib/config.ts reads it from there).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let announced = false;
  const dynamodb = await startDynamoDbLocal(
    { inMemory: true },
    {
      // A shared, busy machine can take longer than the default 30 s to start java.
      startTimeoutMs: 120_000,
      // One database per access key: setup-env gives each test file its own key, so a file's
      // tables never sit behind the hundreds the files before it created (which made every
      // operation on them ~7x slower, infra/local/dynamodb-local.ts `sharedDb`).
      sharedDb: false,
      // Only the first line: it explains the one slow first run without cluttering test output.
      onProgress: (message) => {
        if (announced) return;
        announced = true;
        process.stderr.write(`[dynamodb-local] ${message}\n`);
      },
    },
  );
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
  return async () => {
    await dynamodb.stop();
  };
}
