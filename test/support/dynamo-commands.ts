import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../../functions/lib/dynamodb.ts';

/** A command the one DynamoDB client sent: its name (`BatchGetItemCommand`, …) and input. */
export interface SentCommand {
  name: string;
  input: Record<string, unknown>;
}

/**
 * Every command the process's DynamoDB client (lib/dynamodb.ts, which the in-process handlers use
 * too) sends while `run` runs, in order, through a middleware added for the call.
 */
export async function dynamoCommands(run: () => Promise<unknown>): Promise<SentCommand[]> {
  const sent: SentCommand[] = [];
  const name = `count-${randomBytes(4).toString('hex')}`;
  ddb().middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await run();
  } finally {
    ddb().middlewareStack.remove(name);
  }
  return sent;
}

/** What the counted DynamoDB calls cost: calls by command, consumed read and write units. */
export interface DdbCost {
  calls: Record<string, number>;
  total: number;
  readUnits: number;
  writeUnits: number;
}

type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };
const READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

/**
 * Counts every command `client` sends while counting is on, asking DynamoDB for the capacity each
 * consumed (`ReturnConsumedCapacity: TOTAL`). An SDK middleware, so nothing in functions/ changes.
 */
export function ddbCounter(client: DynamoDBDocumentClient, name = 'bench-ddb-counter') {
  let counting = false;
  let cost: DdbCost = { calls: {}, total: 0, readUnits: 0, writeUnits: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!counting) return next(args);
      const command = String(context.commandName);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      cost.calls[command] = (cost.calls[command] ?? 0) + 1;
      cost.total += 1;
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        const units = c.CapacityUnits ?? 0;
        if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
          cost.readUnits += c.ReadCapacityUnits ?? 0;
          cost.writeUnits += c.WriteCapacityUnits ?? 0;
        } else if (READS.has(command)) cost.readUnits += units;
        else cost.writeUnits += units;
      }
      return result;
    },
    { step: 'initialize', name },
  );
  return {
    start() {
      cost = { calls: {}, total: 0, readUnits: 0, writeUnits: 0 };
      counting = true;
    },
    /** Counting off/on without a reset (work between the measured operations). */
    pause() {
      counting = false;
    },
    resume() {
      counting = true;
    },
    stop(): DdbCost {
      counting = false;
      return cost;
    },
    detach() {
      counting = false;
      client.middlewareStack.remove(name);
    },
  };
}
