import * as z from 'zod';
import { defineSchema, freeText, IsoDateTime, idOf, panFree } from '../lib/schema.ts';
import { SUBSCRIBABLE_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from './events.ts';

export const WebhookEndpointStatus = /* @__PURE__ */ defineSchema(() =>
  z.enum(['enabled', 'disabled']).meta({ id: 'WebhookEndpointStatus' }),
);

export const WebhookEventType = /* @__PURE__ */ defineSchema(() =>
  z.enum(WEBHOOK_EVENT_TYPES).meta({ id: 'WebhookEventType' }),
);

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

export const WebhookEventSubscription = /* @__PURE__ */ defineSchema(() =>
  z
    .enum(['*', ...SUBSCRIBABLE_EVENT_TYPES])
    .meta({ id: 'WebhookEventSubscription', description: '`*` is every event type, present and future.' }),
);

const enabledEvents = () =>
  z
    .array(WebhookEventSubscription)
    .min(1)
    .max(SUBSCRIBABLE_EVENT_TYPES.length + 1)
    .refine((types) => new Set(types).size === types.length, { error: 'enabledEvents must not repeat' })
    .meta({ uniqueItems: true, description: 'The event types sent to this endpoint; others never are.' });

export const CreateWebhookEndpointBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      url: panFree(z.url({ protocol: /^https?$/ }).max(2048)).meta({
        description:
          'HTTPS URL that receives signed events (http to loopback in the local sandbox). Registering a URL you already have rotates its secret.',
      }),
      enabledEvents: enabledEvents().optional().meta({ description: 'Default `["*"]`: every event type.' }),
      description: freeText().trim().min(1).max(255).optional(),
    })
    .meta({ id: 'CreateWebhookEndpointRequest' }),
);
export type CreateWebhookEndpointBody = z.infer<typeof CreateWebhookEndpointBody>;

export const UpdateWebhookEndpointBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      enabledEvents: enabledEvents().optional(),
      status: WebhookEndpointStatus.optional().meta({ description: '`disabled`: nothing is sent to it.' }),
      description: freeText().trim().min(1).max(255).optional(),
    })
    .refine((body) => Object.keys(body).length > 0, { error: 'send at least one field to change' })
    .meta({ id: 'UpdateWebhookEndpointRequest' }),
);
export type UpdateWebhookEndpointBody = z.infer<typeof UpdateWebhookEndpointBody>;

export const WebhookEndpointIdParams = /* @__PURE__ */ defineSchema(() =>
  z.object({ id: idOf('webhookEndpoint') }),
);

export const WebhookEndpointResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('webhook_endpoint'),
      url: z.string(),
      enabledEvents: z.array(WebhookEventSubscription),
      status: WebhookEndpointStatus,
      description: z.string().optional(),
      secretCreatedAt: IsoDateTime,
      previousSecretExpiresAt: IsoDateTime.optional().meta({
        description: 'Until then, events also carry a v1 signature made with the previous secret.',
      }),
      createdAt: IsoDateTime,
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

export const DeletedWebhookEndpointResponse = /* @__PURE__ */ defineSchema(() =>
  WebhookEndpointResponse.extend({ deleted: z.literal(true) }).meta({ id: 'DeletedWebhookEndpoint' }),
);

export const ListEventsQuery = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    startingAfter: idOf('event').optional().meta({ description: 'The last event id of the previous page.' }),
    type: WebhookEventType.optional().meta({ description: 'Only events of this type.' }),
  }),
);
export type ListEventsQuery = z.infer<typeof ListEventsQuery>;

export const WebhookEventList = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(WebhookEvent),
      hasMore: z.boolean(),
      nextCursor: z.string().optional().meta({ description: 'Pass as startingAfter for the next page.' }),
    })
    .meta({ id: 'WebhookEventList' }),
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

/** The `data` of a `webhook.test` event (POST /v1/webhook-endpoints/{id}/test). */
export const WebhookTestData = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ object: z.literal('webhook_test'), endpointId: z.string(), url: z.string() })
    .meta({ id: 'WebhookTestData' }),
);

export const DeliveryStatusFilter = /* @__PURE__ */ defineSchema(() =>
  z.enum(['dead', 'skipped']).meta({ id: 'DeliveryStatusFilter' }),
);

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
      status: z
        .enum(['pending', 'delivering', 'delivered', 'dead', 'skipped'])
        .meta({ id: 'DeliveryStatus' }),
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
