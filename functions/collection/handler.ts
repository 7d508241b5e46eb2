/** Operator routes: run collection for a day, read a run. */
import { clock } from '../lib/clock.ts';
import { httpHandler, operatorAccess } from '../lib/http.ts';
import * as collection from './run.ts';
import { CollectionRunParams, RunCollectionBody } from './schema.ts';

export const runCollection = httpHandler(
  { auth: operatorAccess, body: RunCollectionBody },
  async ({ body }) => {
    const run = await collection.runCollection(body.asOf, clock());
    // Locally the run is done (200); in AWS it was dispatched and is still running (202).
    return { status: run.status === 'completed' ? 200 : 202, body: run };
  },
);

export const getCollectionRun = httpHandler(
  { auth: operatorAccess, params: CollectionRunParams },
  async ({ params }) => ({ status: 200, body: await collection.getCollectionRun(params.runId) }),
);
