/**
 * The scheduled entry (EventBridge Scheduler, infra/jobs.ts): `{}` means "today" by the process
 * clock; `{ asOf: 'YYYY-MM-DD' }` replays a day. The same run as `POST /v1/admin/collections`.
 */
import { clock, isoDay } from '../lib/clock.ts';
import * as collection from './run.ts';
import { IsoDay } from './schema.ts';

export async function collectDueInstallments(input: { asOf?: string } = {}) {
  const asOf = input.asOf === undefined ? isoDay(clock().now()) : IsoDay.parse(input.asOf);
  return collection.runCollection(asOf, clock());
}
