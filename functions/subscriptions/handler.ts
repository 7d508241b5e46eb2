/** The merchant's subscription routes: thin handlers over the use cases (no card data, no queue). */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { createSubscription as create } from './create.ts';
import {
  cancelSubscription as cancel,
  changeSubscriptionAmount as changeAmount,
  pauseSubscription as pause,
  resumeSubscription as resume,
} from './manage.ts';
import { listSubscriptions as list, getSubscription as read } from './read.ts';
import {
  CancelSubscriptionBody,
  ChangeSubscriptionAmountBody,
  CreateSubscriptionBody,
  ListSubscriptionsQuery,
  SubscriptionParams,
} from './schema.ts';

const idempotency = { scope: (principal: { merchantId: string }) => principal.merchantId };

export const createSubscription = httpHandler(
  { auth: merchantAccess, body: CreateSubscriptionBody, idempotency },
  async ({ principal, body, commit }) =>
    answer(commit, created, (port) => create(principal, body, port, clock())),
);

export const getSubscription = httpHandler(
  { auth: merchantAccess, params: SubscriptionParams },
  async ({ principal, params }) => ok(await read(principal, params.id)),
);

export const listSubscriptions = httpHandler(
  { auth: merchantAccess, query: ListSubscriptionsQuery },
  async ({ principal, query }) => ok(await list(principal, query)),
);

export const pauseSubscription = httpHandler(
  { auth: merchantAccess, params: SubscriptionParams, idempotency },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => pause(principal, params.id, port, clock())),
);

export const resumeSubscription = httpHandler(
  { auth: merchantAccess, params: SubscriptionParams, idempotency },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => resume(principal, params.id, port, clock())),
);

export const cancelSubscription = httpHandler(
  { auth: merchantAccess, params: SubscriptionParams, body: CancelSubscriptionBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) => cancel(principal, params.id, body, port, clock())),
);

export const changeSubscriptionAmount = httpHandler(
  { auth: merchantAccess, params: SubscriptionParams, body: ChangeSubscriptionAmountBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) => changeAmount(principal, params.id, body, port, clock())),
);
