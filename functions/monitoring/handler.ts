/** Operator routes: the flags account monitoring raised, to review and resolve. */
import { clock } from '../lib/clock.ts';
import { httpHandler, operatorAccess } from '../lib/http.ts';
import { type FlagRecord, listFlags, resolveFlag } from './flags.ts';
import { FlagListQuery, FlagParams, type FlagResponse, ResolveFlagBody } from './schema.ts';

const toFlag = (flag: FlagRecord): FlagResponse => ({ object: 'flag', ...flag });

export const listRiskFlags = httpHandler(
  { auth: operatorAccess, query: FlagListQuery },
  async ({ query }) => {
    const page = await listFlags(query.status, query.limit, query.before);
    return {
      status: 200,
      body: { object: 'list', data: page.flags.map(toFlag), ...(page.next ? { next: page.next } : {}) },
    };
  },
);

export const resolveRiskFlag = httpHandler(
  { auth: operatorAccess, params: FlagParams, body: ResolveFlagBody },
  async ({ principal, params, body }) => ({
    status: 200,
    body: toFlag(
      await resolveFlag(
        params.id,
        {
          resolution: body.resolution,
          ...(body.note ? { note: body.note } : {}),
          operator: principal.operatorArn,
        },
        clock(),
      ),
    ),
  }),
);
