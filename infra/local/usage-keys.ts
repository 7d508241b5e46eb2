/**
 * The local twin of API Gateway's API keys and merchant usage plan: the usage-key adapter the local
 * runtime registers (functions/merchants/usage-keys.ts), and the check its gateway makes on merchant
 * routes, as API Gateway does where a method requires an API key. Keys are kept in
 * `<data dir>/usage-keys.json` (so they survive a restart, like the rest of `.data/`) by id, with a
 * SHA-256 of the value rather than the value itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UsageKeyRequest, UsageKeys } from '../../functions/merchants/usage-keys-port.ts';

interface StoredKey {
  name: string;
  merchantId: string;
  valueHash: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

export class LocalUsageKeys implements UsageKeys {
  private readonly file: string;
  private readonly keys: Map<string, StoredKey>;
  /** Key id by value hash: what the gateway looks up on every merchant request. */
  private readonly byValue = new Map<string, string>();

  constructor(options: { dataDir: string }) {
    this.file = join(options.dataDir, 'usage-keys.json');
    const saved = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, StoredKey>)
      : {};
    this.keys = new Map(Object.entries(saved));
    for (const [id, key] of this.keys) this.byValue.set(key.valueHash, id);
  }

  async issue(request: UsageKeyRequest): Promise<string> {
    if (request.value.length < 20) throw new Error('An API key value has at least 20 characters');
    const valueHash = digest(request.value);
    const existing = this.byValue.get(valueHash);
    if (existing) {
      // API Gateway: values are unique; the same request again finds its key (a retry).
      if (this.keys.get(existing)?.name === request.name) return existing;
      throw Object.assign(new Error('API Key already exists'), { name: 'ConflictException' });
    }
    const id = randomBytes(5).toString('hex');
    this.keys.set(id, { name: request.name, merchantId: request.merchantId, valueHash });
    this.byValue.set(valueHash, id);
    this.save();
    return id;
  }

  async revoke(id: string): Promise<void> {
    const key = this.keys.get(id);
    if (!key) return;
    this.keys.delete(id);
    this.byValue.delete(key.valueHash);
    this.save();
  }

  /** Whether `value` is a key on the merchant usage plan (the gateway's check). */
  accepts(value: string | undefined): boolean {
    return value !== undefined && value !== '' && this.byValue.has(digest(value));
  }

  private save(): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.keys), null, 2), { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
