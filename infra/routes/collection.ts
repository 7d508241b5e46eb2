import {
  CollectionRunParams,
  CollectionRunResponse,
  RunCollectionBody,
} from '../../functions/collection/schema.ts';
import type { Route } from './route.ts';

/** The operator's collection routes: their functions form the `collection` nested stack (`functions/collection/…`). */
export const collectionRoutes: Route[] = [
  {
    operationId: 'runCollection',
    method: 'POST',
    path: '/v1/admin/collections',
    entry: 'functions/collection/handler.ts',
    handler: 'runCollection',
    auth: 'operator',
    summary:
      'Collect every installment due on or before asOf: locally synchronous with the counts (200), in AWS dispatched (202)',
    tags: ['admin'],
    request: { body: RunCollectionBody },
    responses: {
      200: { description: 'The run, completed (local runtime).', schema: CollectionRunResponse },
      202: {
        description: 'The run, dispatched to the collection queues (AWS).',
        schema: CollectionRunResponse,
      },
    },
    errors: ['as_of_in_future', 'as_of_too_old'],
    // Reads the due index, writes the run and the watermark, sends shard messages. No vault, no card.
    access: { main: 'readwrite', queues: ['collection-shards'] },
  },
  {
    operationId: 'getCollectionRun',
    method: 'GET',
    path: '/v1/admin/collections/{runId}',
    entry: 'functions/collection/handler.ts',
    handler: 'getCollectionRun',
    auth: 'operator',
    summary: 'A collection run and its counts (they grow while an AWS run drains)',
    tags: ['admin'],
    request: { params: CollectionRunParams },
    responses: { 200: { description: 'The run.', schema: CollectionRunResponse } },
    errors: ['resource_missing'],
    access: { main: 'read' },
  },
];
