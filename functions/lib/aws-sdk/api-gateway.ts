/** The slice of the API Gateway SDK the merchant usage-key adapter uses (for `#apigateway/…`, see ./kms.ts). */
export { APIGatewayClient } from '#apigateway/client';
export { CreateApiKeyCommand } from '#apigateway/create-api-key';
export { CreateUsagePlanKeyCommand } from '#apigateway/create-usage-plan-key';
export { DeleteApiKeyCommand } from '#apigateway/delete-api-key';
export { GetApiKeysCommand } from '#apigateway/get-api-keys';
export { GetUsagePlansCommand } from '#apigateway/get-usage-plans';
