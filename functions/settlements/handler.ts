/** Merchant payout routes (the tenant is the API key's merchant, never a path) and the operator's run. */
import { clock } from '../lib/clock.ts';
import { httpHandler, JsonText, operatorAccess } from '../lib/http.ts';
import { merchantAccess } from '../merchants/access.ts';
import { runPayouts as run } from './payouts.ts';
import { listMerchantPayouts, payoutReport, reportCsv } from './report.ts';
import { ListPayoutsQuery, PayoutIdParams, RunPayoutsBody } from './schema.ts';

export const listPayouts = httpHandler(
  { auth: merchantAccess, query: ListPayoutsQuery },
  async ({ principal, query }) => ({
    status: 200,
    body: await listMerchantPayouts(principal.merchantId, query.limit, query.startingAfter),
  }),
);

export const getPayout = httpHandler(
  { auth: merchantAccess, params: PayoutIdParams },
  async ({ principal, params }) => ({
    status: 200,
    body: await payoutReport(principal.merchantId, params.id),
  }),
);

export const getPayoutReportCsv = httpHandler(
  { auth: merchantAccess, params: PayoutIdParams },
  async ({ principal, params }) => ({
    status: 200,
    body: new JsonText(reportCsv(await payoutReport(principal.merchantId, params.id))),
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${params.id}.csv"`,
    },
  }),
);

/** Runs payouts for `asOf` now (locally and in AWS alike: the job is one function call). */
export const runPayouts = httpHandler({ auth: operatorAccess, body: RunPayoutsBody }, async ({ body }) => {
  return { status: 200, body: await run(body.asOf, clock()) };
});
