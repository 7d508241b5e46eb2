import * as z from 'zod';
import { defineSchema, freeText, IsoDateTime, idOf, panFree } from '../lib/schema.ts';
import { WEBHOOK_EVENT_TYPES } from './events.ts';

export const CreateWebhookEndpointBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      url: panFree(z.url({ protocol: /^https?$/ }).max(2048)).meta({
        description: 'HTTPS URL that receives signed events (http to loopback in the local sandbox).',
      }),
    })
    .meta({ id: 'CreateWebhookEndpointRequest' }),
);
export type CreateWebhookEndpointBody = z.infer<typeof CreateWebhookEndpointBody>;

export const WebhookEndpointResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('webhook_endpoint'),
      url: z.string(),
      status: z.enum(['enabled', 'disabled']).meta({
        description:
          '`disabled`: the URL has no signing secret yet (set at merchant creation); events are skipped.',
      }),
      secretCreatedAt: IsoDateTime.optional(),
      previousSecretExpiresAt: IsoDateTime.optional().meta({
        description: 'Until then, events also carry a v1 signature made with the previous secret.',
      }),
    })
    .meta({ id: 'WebhookEndpoint' }),
);
export type WebhookEndpointResponse = z.infer<typeof WebhookEndpointResponse>;

/** The signing secret is in this response and nowhere else, ever. */
export const WebhookEndpointWithSecretResponse = /* @__PURE__ */ defineSchema(() =>
  WebhookEndpointResponse.extend({
    secret: z.string().meta({
      description:
        'Signing secret (whsec_…, 256 bits). Shown once; stored encrypted. Use the whole string as the HMAC key.',
    }),
  }).meta({ id: 'WebhookEndpointWithSecret' }),
);

export const WebhookEndpointList = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(WebhookEndpointResponse),
      hasMore: z.boolean(),
    })
    .meta({ id: 'WebhookEndpointList' }),
);

export const WebhookEventType = /* @__PURE__ */ defineSchema(() => z.enum(WEBHOOK_EVENT_TYPES));

export const WebhookEvent = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: idOf('event'),
      object: z.literal('event'),
      type: WebhookEventType,
      created: IsoDateTime,
      objectId: z.string(),
      sequence: z.number().int().positive().meta({
        description: "The object's version after the change: keep the highest per object, drop lower ones.",
      }),
      data: z.record(z.string(), z.unknown()),
    })
    .meta({ id: 'WebhookEvent' }),
);

export const DeliveryStatusFilter = /* @__PURE__ */ defineSchema(() => z.enum(['dead', 'skipped']));

export const ListWebhookDeliveriesQuery = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      status: DeliveryStatusFilter.meta({
        description: '`dead`: attempts exhausted (the DLQ). `skipped`: no usable endpoint at delivery time.',
      }),
      merchantId: idOf('merchant').optional().meta({ description: 'Required with status=skipped.' }),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      startingAfter: freeText()
        .min(1)
        .max(512)
        .optional()
        .meta({ description: 'Opaque cursor from `nextCursor`.' }),
    })
    .meta({ id: 'ListWebhookDeliveriesQuery' }),
);

export const WebhookDeliveryIdParams = /* @__PURE__ */ defineSchema(() => z.object({ id: idOf('event') }));

export const WebhookDeliveryResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string().meta({ description: 'The event id (one delivery per event).' }),
      object: z.literal('webhook_delivery'),
      merchantId: z.string(),
      eventType: WebhookEventType,
      objectId: z.string(),
      sequence: z.number().int(),
      status: z.enum(['pending', 'delivering', 'delivered', 'dead', 'skipped']),
      attempts: z.number().int(),
      nextAttemptAt: IsoDateTime.optional(),
      lastAttemptAt: IsoDateTime.optional(),
      lastStatusCode: z.number().int().optional(),
      lastError: z.string().optional(),
      deliveredAt: IsoDateTime.optional(),
      deadAt: IsoDateTime.optional(),
      skippedReason: z.string().optional(),
      createdAt: IsoDateTime,
      updatedAt: IsoDateTime,
    })
    .meta({ id: 'WebhookDelivery' }),
);
export type WebhookDeliveryResponse = z.infer<typeof WebhookDeliveryResponse>;

export const WebhookDeliveryList = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(WebhookDeliveryResponse),
      hasMore: z.boolean(),
      nextCursor: z.string().optional(),
    })
    .meta({ id: 'WebhookDeliveryList' }),
);
