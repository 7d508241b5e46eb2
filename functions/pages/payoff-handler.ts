/**
 * `POST /account/payoff`: pays off an order from the portal, through the API's payoff handler (it
 * charges the card, so this function has the charger's vault grants and nothing else of the portal).
 */
import { pathPrefix } from '../lib/public-origin.ts';
import { payOffMyOrder } from '../orders/payoff-handler.ts';
import { renderAccount } from './account-page.ts';
import { invoke } from './invoke.ts';
import { pageHandler } from './run.ts';
import { redirect } from './web.ts';

export const accountPayoff = pageHandler(async (request) => {
  const { ctx, form } = request;
  const back = `${pathPrefix(ctx.event)}/account`;
  if (!ctx.sessionToken) return redirect(ctx, back);
  const answer = await invoke(payOffMyOrder, ctx.event, {
    method: 'POST',
    resource: '/v1/me/orders/{id}/payoff',
    pathParameters: { id: form.get('order') ?? '' },
    sessionToken: ctx.sessionToken,
    headers: { 'idempotency-key': form.get('key') ?? '' },
  });
  if (answer.error) return renderAccount(request, { error: answer.error.message }, answer.status);
  return redirect(ctx, `${back}?done=payoff`);
});
