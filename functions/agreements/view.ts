import type { AgreementResponse } from './schema.ts';
import type { AgreementRecord } from './store.ts';

/** What the merchant and the shopper see of an agreement (the card by brand and last 4 only). */
export function toAgreement(agreement: AgreementRecord): AgreementResponse {
  return {
    id: agreement.id,
    object: 'customer_token',
    status: agreement.status,
    merchantId: agreement.merchantId,
    livemode: agreement.livemode,
    purpose: agreement.purpose,
    maxAmount: agreement.maxAmount,
    currency: agreement.currency,
    cadence: agreement.cadence,
    card: { brand: agreement.cardBrand, last4: agreement.cardLast4 },
    checkoutSessionId: agreement.checkoutSessionId,
    ...(agreement.revokedAt === undefined ? {} : { revokedAt: agreement.revokedAt }),
    createdAt: agreement.createdAt,
    updatedAt: agreement.updatedAt,
  };
}
