import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** TESSERA_OPERATOR_TOKEN if set, else a token generated on first start in `<dataDir>/operator-token`. */
export function resolveOperatorToken(dataDir: string, fromEnv = process.env.TESSERA_OPERATOR_TOKEN) {
  const path = join(dataDir, 'operator-token');
  if (fromEnv) return { token: fromEnv, source: 'TESSERA_OPERATOR_TOKEN' };
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), source: path };
  mkdirSync(dataDir, { recursive: true });
  const token = `op_${randomBytes(32).toString('base64url')}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, source: path };
}
