import {
  FlagListQuery,
  FlagListResponse,
  FlagParams,
  FlagResponse,
  ResolveFlagBody,
} from '../../functions/monitoring/schema.ts';
import type { Route } from './route.ts';

/** The operator's account-monitoring routes (`functions/monitoring/…`). */
export const monitoringRoutes: Route[] = [
  {
    operationId: 'listRiskFlags',
    method: 'GET',
    path: '/v1/admin/flags',
    entry: 'functions/monitoring/handler.ts',
    handler: 'listRiskFlags',
    auth: 'operator',
    summary: 'Flags raised by account monitoring, newest first (open by default)',
    tags: ['admin'],
    request: { query: FlagListQuery },
    responses: { 200: { description: 'A page of flags.', schema: FlagListResponse } },
    errors: [],
    access: { main: 'read' },
  },
  {
    operationId: 'resolveRiskFlag',
    method: 'POST',
    path: '/v1/admin/flags/{id}/resolve',
    entry: 'functions/monitoring/handler.ts',
    handler: 'resolveRiskFlag',
    auth: 'operator',
    summary: 'Resolve a flag (confirmed fraud, false positive, other); idempotent; audited',
    tags: ['admin'],
    request: { params: FlagParams, body: ResolveFlagBody },
    responses: { 200: { description: 'The flag, resolved.', schema: FlagResponse } },
    errors: ['resource_missing', 'concurrent_update'],
    access: { main: 'readwrite' },
  },
];
