/**
 * Which CardProcessor a deployment runs, read once from the environment, and the rule that keeps a
 * live deployment off the sandbox (docs/adr/0015-production-card-processor.md).
 *
 *   CARD_PROCESSOR              `sandbox` (default) or `stripe`
 *   PROCESSOR_API_KEY_SECRET_ARN   the Secrets Manager secret holding the Stripe key (with `stripe`)
 *   STAGE                       `prod` is live mode: merchants get `sk_live_` keys there
 *                               (functions/merchants/service.ts), so money must really move.
 */
import * as z from 'zod';

/** A deployment whose processor cannot serve it; raised before any money moves. */
export class ProcessorConfigurationError extends Error {
  override readonly name = 'ProcessorConfigurationError';
}

const ProcessorEnv = z.object({
  STAGE: z.string().min(1).default('local'),
  CARD_PROCESSOR: z.enum(['sandbox', 'stripe']).default('sandbox'),
  PROCESSOR_API_KEY_SECRET_ARN: z.string().min(1).optional(),
});

export type ProcessorChoice =
  | { kind: 'sandbox'; live: false }
  | { kind: 'stripe'; live: boolean; apiKeySecretArn: string };

/**
 * The processor the environment asks for. Throws ProcessorConfigurationError for live mode with the
 * sandbox (it would "charge" every shopper without moving a cent) and for Stripe without its key.
 */
export function processorChoice(env: NodeJS.ProcessEnv = process.env): ProcessorChoice {
  const parsed = ProcessorEnv.safeParse(env);
  if (!parsed.success) {
    throw new ProcessorConfigurationError(
      `invalid processor configuration: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  }
  const { STAGE, CARD_PROCESSOR, PROCESSOR_API_KEY_SECRET_ARN } = parsed.data;
  const live = STAGE === 'prod';
  if (CARD_PROCESSOR === 'sandbox') {
    if (live) {
      throw new ProcessorConfigurationError(
        'live mode (stage prod, sk_live_ merchant keys) refuses to start with the sandbox processor: ' +
          'set CARD_PROCESSOR=stripe and PROCESSOR_API_KEY_SECRET_ARN (the cdk context cardProcessor=stripe does)',
      );
    }
    return { kind: 'sandbox', live: false };
  }
  if (!PROCESSOR_API_KEY_SECRET_ARN) {
    throw new ProcessorConfigurationError('CARD_PROCESSOR=stripe needs PROCESSOR_API_KEY_SECRET_ARN');
  }
  return { kind: 'stripe', live, apiKeySecretArn: PROCESSOR_API_KEY_SECRET_ARN };
}
