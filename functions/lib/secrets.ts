import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from './config.ts';

/**
 * Named 256-bit secrets: the session signing key, the card fingerprint key, the one-time-code
 * pepper and the list-cursor signing key. In AWS each is a Secrets Manager secret (ARN in the environment); locally each is a
 * random file under `<data dir>/secrets/`, created on first use with mode 0600. Values are cached
 * for the life of the container.
 */
export type SecretName =
  | 'session-signing'
  | 'fingerprint'
  | 'otp-pepper'
  | 'cursor-signing'
  | 'processor-api-key';

const ARN_ENV: Record<
  SecretName,
  | 'SESSION_SIGNING_SECRET_ARN'
  | 'FINGERPRINT_SECRET_ARN'
  | 'OTP_PEPPER_SECRET_ARN'
  | 'CURSOR_SIGNING_SECRET_ARN'
  | 'PROCESSOR_API_KEY_SECRET_ARN'
> = {
  'session-signing': 'SESSION_SIGNING_SECRET_ARN',
  fingerprint: 'FINGERPRINT_SECRET_ARN',
  'otp-pepper': 'OTP_PEPPER_SECRET_ARN',
  'cursor-signing': 'CURSOR_SIGNING_SECRET_ARN',
  'processor-api-key': 'PROCESSOR_API_KEY_SECRET_ARN',
};

const cache = new Map<SecretName, Promise<Buffer>>();
let client: SecretsManagerClient | undefined;

function localSecret(name: SecretName): Buffer {
  const dir = join(config().TESSERA_DATA_DIR, 'secrets');
  const path = join(dir, name);
  try {
    return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch {
      // Another process created it first: use theirs.
    }
    return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  }
}

async function awsSecret(name: SecretName): Promise<Buffer> {
  const arn = config()[ARN_ENV[name]];
  if (!arn) throw new Error(`${ARN_ENV[name]} is not set`);
  client ??= new SecretsManagerClient({ region: config().AWS_REGION });
  const { SecretString, SecretBinary } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (SecretBinary) return Buffer.from(SecretBinary);
  if (!SecretString) throw new Error(`secret ${name} is empty`);
  return Buffer.from(SecretString, 'utf8');
}

export function getSecret(name: SecretName): Promise<Buffer> {
  let value = cache.get(name);
  if (!value) {
    value = config().isLocal ? Promise.resolve(localSecret(name)) : awsSecret(name);
    value.catch(() => cache.delete(name));
    cache.set(name, value);
  }
  return value;
}

export function resetSecrets(): void {
  cache.clear();
}
