import * as z from 'zod';

/**
 * Typed configuration, parsed once from the environment. In AWS the CDK sets these variables on
 * each function; locally the start script and the test harness set them.
 */
const ConfigSchema = z.object({
  STAGE: z.string().min(1).default('local'),
  TABLE_NAME: z.string().min(1).default('tessera-local-main'),
  VAULT_TABLE_NAME: z.string().min(1).default('tessera-local-vault'),
  /** Set only locally: the DynamoDB Local endpoint. Never set in AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  /** "1" in the local runtime: enables sandbox-only behaviour (the outbox, http webhooks to loopback). */
  TESSERA_LOCAL: z.enum(['0', '1']).default('0'),
  TESSERA_DATA_DIR: z.string().min(1).default('.data'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default('tessera'),
  /** KMS key for the card vault (CDE) and for other secrets at rest (TOTP seeds). */
  VAULT_KEY_ID: z.string().min(1).default('alias/tessera-vault'),
  SECRETS_KEY_ID: z.string().min(1).default('alias/tessera-secrets'),
  /** Secrets Manager ARNs in AWS; locally the secrets are generated files under the data dir. */
  SESSION_SIGNING_SECRET_ARN: z.string().optional(),
  FINGERPRINT_SECRET_ARN: z.string().optional(),
  OTP_PEPPER_SECRET_ARN: z.string().optional(),
  CURSOR_SIGNING_SECRET_ARN: z.string().optional(),
  /** The card processor's API key (functions/payments/processor-config.ts reads it with CARD_PROCESSOR). */
  PROCESSOR_API_KEY_SECRET_ARN: z.string().optional(),
  /** Registrations allowed per client IP per hour (POST /v1/customers); more get 429. */
  REGISTRATIONS_PER_IP_PER_HOUR: z.coerce.number().int().min(1).default(20),
  /** Collection: soft-decline retry offsets in days after the due date (orders/dunning.ts). */
  DUNNING_RETRY_DAYS: z
    .string()
    .regex(/^\d{1,3}(,\d{1,3}){0,9}$/)
    .default('1,3,7')
    .transform((list) => list.split(',').map(Number))
    .refine((days) => days.every((d, i) => d > 0 && (i === 0 || d > (days[i - 1] ?? 0))), {
      error: 'retry offsets must be positive and increasing',
    }),
  /** Collection queues (SQS URLs) in AWS; unset locally, where an in-process queue runs them. */
  COLLECTION_SHARD_QUEUE_URL: z.string().optional(),
  COLLECTION_CHARGE_QUEUE_URL: z.string().optional(),
  /**
   * Merchant settlement terms (functions/settlements/terms.ts), JSON: `{ "default": { feeBps,
   * feeFixed: { USD: 30, … }, timeZone }, "<merchantId>": { … } }`; unset means the built-in default.
   */
  SETTLEMENT_TERMS: z.string().optional(),
  /**
   * The merchant usage plan's name (`tessera-<stage>-merchant`) where merchant methods require an API
   * Gateway API key; unset when they do not (functions/merchants/usage-keys.ts).
   */
  MERCHANT_USAGE_PLAN_NAME: z.string().min(1).optional(),
});

export type Config = z.infer<typeof ConfigSchema> & { isLocal: boolean };

let cached: Config | undefined;

export function config(): Config {
  if (!cached) {
    const parsed = ConfigSchema.safeParse(process.env);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
      throw new Error(`Invalid configuration in environment: ${fields}`);
    }
    cached = { ...parsed.data, isLocal: parsed.data.TESSERA_LOCAL === '1' };
  }
  return cached;
}

/** Tests and the local runtime change the environment, then drop the cached view. */
export function resetConfig(): void {
  cached = undefined;
}
