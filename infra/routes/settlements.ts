import {
  ListPayoutsQuery,
  PayoutIdParams,
  PayoutListResponse,
  PayoutRunResponse,
  PayoutWithReportResponse,
  RunPayoutsBody,
} from '../../functions/settlements/schema.ts';
import type { Route } from './route.ts';

const entry = 'functions/settlements/handler.ts';

/** Payouts and their reconciliation reports: their functions form the `settlements` nested stack. */
export const settlementsRoutes: Route[] = [
  {
    operationId: 'listPayouts',
    method: 'GET',
    path: '/v1/payouts',
    entry,
    handler: 'listPayouts',
    auth: 'merchant',
    summary: "The merchant's payouts, newest first",
    tags: ['merchant'],
    request: { query: ListPayoutsQuery },
    responses: { 200: { description: 'A page of payouts.', schema: PayoutListResponse } },
    errors: [],
    access: { main: 'read' },
  },
  {
    operationId: 'getPayout',
    method: 'GET',
    path: '/v1/payouts/{id}',
    entry,
    handler: 'getPayout',
    auth: 'merchant',
    summary: 'A payout with its reconciliation report',
    description:
      'One line per capture, refund and dispute liability the payout covers, with gross, fee and net in signed minor units; gross − fee = net on every line, and the nets sum exactly to `amount`. A negative balance is carried into the next payout, whose report then includes those lines.',
    tags: ['merchant'],
    request: { params: PayoutIdParams },
    responses: { 200: { description: 'The payout and its lines.', schema: PayoutWithReportResponse } },
    errors: ['resource_missing'],
    access: { main: 'read' },
  },
  {
    operationId: 'getPayoutReportCsv',
    method: 'GET',
    path: '/v1/payouts/{id}/report.csv',
    entry,
    handler: 'getPayoutReportCsv',
    auth: 'merchant',
    summary: 'The reconciliation report as CSV (RFC 4180)',
    description:
      'Columns: payout_id, entry_id, type, order_id, capture_id, refund_id, dispute_id, occurred_at, currency, gross, fee, net (signed minor units). The `net` column sums exactly to the payout amount.',
    tags: ['merchant'],
    request: { params: PayoutIdParams },
    responses: { 200: { description: 'text/csv; one row per report line after the header.' } },
    errors: ['resource_missing'],
    access: { main: 'read' },
  },
  {
    operationId: 'runPayouts',
    method: 'POST',
    path: '/v1/admin/payouts',
    entry,
    handler: 'runPayouts',
    auth: 'operator',
    summary: 'Run payouts for a business day now (what the hourly schedule does per time zone)',
    description:
      'Pays every account with a positive balance once for `asOf`; a rerun for the same day pays nothing twice. A negative balance is carried over.',
    tags: ['admin'],
    request: { body: RunPayoutsBody },
    responses: { 200: { description: 'The counts of the run.', schema: PayoutRunResponse } },
    errors: [],
    access: { main: 'readwrite' },
  },
];
