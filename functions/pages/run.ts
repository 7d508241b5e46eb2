/**
 * The entry wrapper of every page route: lower-cased headers, the page context (cookies, nonce,
 * CSRF), the CSRF check on POST, and an HTML error page instead of a stack trace. A page never logs
 * a form body (card fields pass through the card route).
 */
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import type { HttpEvent } from '../lib/http.ts';
import { logger } from '../lib/logger.ts';
import { localeOf } from './format.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { csrfPasses, formOf, htmlResponse, type PageContext, pageContext } from './web.ts';

export interface PageRequest {
  ctx: PageContext;
  locale: string;
  form: URLSearchParams;
  params: Record<string, string>;
  query: Record<string, string>;
}

type PageUseCase = (request: PageRequest) => Promise<APIGatewayProxyResult>;

function normalized(event: HttpEvent): HttpEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  return { ...event, headers };
}

/** Builds a page route's Lambda handler around `useCase`. */
export function pageHandler(useCase: PageUseCase) {
  return async (raw: HttpEvent, _context?: Context): Promise<APIGatewayProxyResult> => {
    const event = normalized(raw);
    const ctx = await pageContext(event);
    const locale = localeOf(event.headers['accept-language']);
    const form = event.httpMethod === 'POST' ? formOf(event) : new URLSearchParams();
    if (event.httpMethod === 'POST' && !csrfPasses(ctx, form)) {
      return htmlResponse(
        ctx,
        403,
        page(
          ctx,
          locale,
          'Please try again',
          html`<p>This form was not sent from this page, or it is too old. Go back, reload the page and try again.</p>`,
        ),
      );
    }
    try {
      return await useCase({
        ctx,
        locale,
        form,
        params: (event.pathParameters ?? {}) as Record<string, string>,
        query: (event.queryStringParameters ?? {}) as Record<string, string>,
      });
    } catch (error) {
      logger.error('page failed', { error: (error as Error)?.name ?? 'Error', path: event.resource });
      return htmlResponse(
        ctx,
        500,
        page(
          ctx,
          locale,
          'Something went wrong',
          html`<p>We could not finish this step. Nothing was charged. Please try again.</p>`,
        ),
      );
    }
  };
}
