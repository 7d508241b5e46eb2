import { randomBytes } from 'node:crypto';
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
