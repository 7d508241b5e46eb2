/**
 * The API Gateway management client, created once per container on first use (only the merchant
 * onboarding and key-rotation functions call it: the SDK loads on that first call, not at init).
 */
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { config } from './config.ts';

let client: APIGatewayClient | undefined;

/** The SDK slice (client and the commands the usage-key adapter sends). */
export const apiGatewaySdk = () => import('./aws-sdk/api-gateway.ts');

export async function apiGatewayClient(): Promise<APIGatewayClient> {
  const { APIGatewayClient } = await apiGatewaySdk();
  client ??= new APIGatewayClient({ region: config().AWS_REGION });
  return client;
}
