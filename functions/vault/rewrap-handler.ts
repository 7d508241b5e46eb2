import { httpHandler, operatorAccess } from '../lib/http.ts';
import { rewrapAll } from './rewrap.ts';
import { RewrapBody } from './schema.ts';

/** Operator: move records to the vault key's current version; call again while `done` is false. */
export const rewrapVault = httpHandler(
  { auth: operatorAccess, body: RewrapBody },
  async ({ principal, body }) => {
    const report = await rewrapAll({
      ...(body.targetKeyId === undefined ? {} : { targetKeyId: body.targetKeyId }),
      pageSize: body.pageSize,
      maxRecords: body.maxRecords,
      actor: principal.operatorArn,
    });
    return { status: 200, body: { object: 'vault_rewrap' as const, ...report } };
  },
);
