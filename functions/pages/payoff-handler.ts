/**
 * `POST /account/payoff`: pays off an order from the portal, through the API's payoff handler (it
 * hands the charges to the charger through the charge queue: no vault grant here), then back to the
 * portal with a fixed message for the outcome.
 */
import { pathPrefix } from '../lib/public-origin.ts';
import { payOffMyOrder } from '../orders/payoff-handler.ts';
import { invoke } from './invoke.ts';
import { pageHandler } from './run.ts';
import { redirect } from './web.ts';

export const accountPayoff = pageHandler(async (request) => {
  const { ctx, form } = request;
  const back = `${pathPrefix(ctx.event)}/account`;
  if (!ctx.sessionToken) return redirect(ctx, back);
  const answer = await invoke<{ status?: string }>(payOffMyOrder, ctx.event, {
    method: 'POST',
    resource: '/v1/me/orders/{id}/payoff',
    pathParameters: { id: form.get('order') ?? '' },
    sessionToken: ctx.sessionToken,
    headers: { 'idempotency-key': form.get('key') ?? '' },
  });
  if (answer.error) {
    const done =
      answer.status === 402
        ? 'payoff-declined'
        : answer.error.code === 'order_disputed'
          ? 'payoff-disputed'
          : 'payoff-failed';
    return redirect(ctx, `${back}?done=${done}`);
  }
  return redirect(
    ctx,
    `${back}?done=${answer.json?.status === 'processing' ? 'payoff-processing' : 'payoff'}`,
  );
});
