import { CreditApplicationBody, CreditApplicationResponse } from '../../functions/credit/schema.ts';
import type { Route } from './route.ts';

/** Credit application routes: their functions form the `credit` nested stack (`functions/credit/…`). */
export const creditRoutes: Route[] = [
  {
    operationId: 'createCreditApplication',
    method: 'POST',
    path: '/v1/me/credit-applications',
    entry: 'functions/credit/handler.ts',
    handler: 'createCreditApplication',
    auth: 'customer',
    stepUp: 'required',
    summary: 'Apply for a credit limit: approved, a counter-offer, or declined, with reasons',
    description:
      'Needs identity `verified` and a `credit_application` step-up token bound to this amount and currency. At most 3 applications per 30 days. The decision is deterministic for the declared monthly income and obligations and your repayment history; an approved limit (or counter-offer) caps your checkout authorizations in that currency.',
    tags: ['customer'],
    request: { body: CreditApplicationBody },
    responses: { 201: { description: 'The decision.', schema: CreditApplicationResponse } },
    errors: [
      'identity_not_verified',
      'credit_application_limit',
      'risk_declined',
      'risk_review_hold',
      'concurrent_update',
    ],
    access: { main: 'readwrite', secrets: ['session-signing'] },
  },
];
