/**
 * The numbers and states of identity verification (KYC), in one place so the README, the tests and
 * the code cannot disagree. Pure values plus the one configurable period.
 */
import * as z from 'zod';
import { DAY_MS } from '../lib/clock.ts';

/**
 * `unverified`: never started. `pending`: sent to the provider, no decision yet. `in_review`: the
 * provider could not decide; an operator decides. `verified`: the only status that opens the gates,
 * until `expiresAt`. `rejected`: the provider or an operator refused it. `expired`: was verified,
 * and the configured period has passed; or stayed `pending` (the provider never called back) past
 * its own configured period. Either way a new verification is needed (and may be started).
 */
export const IDENTITY_STATUSES = [
  'unverified',
  'pending',
  'in_review',
  'verified',
  'rejected',
  'expired',
] as const;
export type IdentityStatus = (typeof IDENTITY_STATUSES)[number];

/** What a provider (or an operator) decides. */
export const IDENTITY_DECISIONS = ['verified', 'in_review', 'rejected'] as const;
export type IdentityDecision = (typeof IDENTITY_DECISIONS)[number];

export const DOCUMENT_TYPES = ['passport', 'id_card', 'driving_licence'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** A signed provider callback older (or newer) than this is refused as a replay (Stripe's 5 minutes). */
export const CALLBACK_TOLERANCE_SECONDS = 300;
/** A callback event id is remembered this long (past the tolerance), so it is accepted once only. */
export const CALLBACK_EVENT_TTL_MS = 2 * DAY_MS;

const IdentityConfigSchema = z.object({
  /** Days a `verified` identity stays valid before it becomes `expired` (default 365). */
  IDENTITY_VERIFICATION_TTL_DAYS: z.coerce.number().int().min(1).max(3_650).default(365),
  /**
   * Hours a verification may stay `pending` (no decision from the provider) before it reads
   * `expired` (default 48). Applied lazily on every read: no job is needed.
   */
  IDENTITY_PENDING_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(48),
});

interface IdentityConfig {
  verificationTtlMs: number;
  pendingTtlMs: number;
}
let cached: IdentityConfig | undefined;

/** The configurable part, parsed once from the environment. */
export function identityConfig(): IdentityConfig {
  if (!cached) {
    const parsed = IdentityConfigSchema.safeParse(process.env);
    if (!parsed.success) {
      throw new Error(
        'Invalid configuration in environment: IDENTITY_VERIFICATION_TTL_DAYS, IDENTITY_PENDING_TTL_HOURS',
      );
    }
    cached = {
      verificationTtlMs: parsed.data.IDENTITY_VERIFICATION_TTL_DAYS * DAY_MS,
      pendingTtlMs: parsed.data.IDENTITY_PENDING_TTL_HOURS * 3_600_000,
    };
  }
  return cached;
}

/** Tests change the environment, then drop the cached view. */
export function resetIdentityConfig(): void {
  cached = undefined;
}
