import 'aws-sdk-client-mock-vitest/extend';
import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
  NotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiGatewayUsageKeys } from '../../functions/merchants/usage-keys-apigateway.ts';

const gateway = mockClient(APIGatewayClient);
const request = {
  merchantId: 'mer_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  name: 'tessera-dev-mer_01ARZ3NDEKTSV4RRFFQ69G5FAV-1',
  value: 'a'.repeat(48),
};
const conflict = () => new ConflictException({ message: 'exists', $metadata: {} });

beforeEach(() => {
  gateway.reset();
  gateway.on(GetUsagePlansCommand).resolves({
    items: [
      { id: 'other', name: 'tessera-prod-merchant' },
      { id: 'plan-dev', name: 'tessera-dev-merchant' },
    ],
  });
  gateway.on(CreateApiKeyCommand).resolves({ id: 'key-1', name: request.name });
  gateway.on(CreateUsagePlanKeyCommand).resolves({ id: 'key-1', type: 'API_KEY' });
  gateway.on(DeleteApiKeyCommand).resolves({});
});

describe('API Gateway usage keys', () => {
  it('creates an enabled key with the given value, then attaches it to the plan found by its name', async () => {
    const keys = apiGatewayUsageKeys('tessera-dev-merchant', 'dev');
    expect(await keys.issue(request)).toBe('key-1');
    expect(gateway).toHaveReceivedCommandWith(CreateApiKeyCommand, {
      name: request.name,
      value: request.value,
      enabled: true,
    });
    expect(gateway).toHaveReceivedCommandWith(CreateUsagePlanKeyCommand, {
      usagePlanId: 'plan-dev',
      keyId: 'key-1',
      keyType: 'API_KEY',
    });
    // The plan is looked up once per container.
    await keys.issue({ ...request, name: `${request.name}x`, value: 'b'.repeat(48) });
    expect(gateway).toHaveReceivedCommandTimes(GetUsagePlansCommand, 1);
  });

  it('reads every page of plans and refuses a name that is missing or ambiguous', async () => {
    gateway
      .on(GetUsagePlansCommand)
      .resolvesOnce({ items: [{ id: 'a', name: 'x' }], position: 'p2' })
      .resolvesOnce({ items: [{ id: 'plan-2', name: 'tessera-dev-merchant' }] });
    expect(await apiGatewayUsageKeys('tessera-dev-merchant', 'dev').issue(request)).toBe('key-1');
    expect(gateway).toHaveReceivedCommandWith(CreateUsagePlanKeyCommand, { usagePlanId: 'plan-2' });

    gateway.on(GetUsagePlansCommand).resolves({ items: [] });
    await expect(apiGatewayUsageKeys('tessera-dev-merchant', 'dev').issue(request)).rejects.toThrow(
      /one usage plan named tessera-dev-merchant, found 0/,
    );
    gateway.on(GetUsagePlansCommand).resolves({
      items: [
        { id: 'a', name: 'tessera-dev-merchant' },
        { id: 'b', name: 'tessera-dev-merchant' },
      ],
    });
    await expect(apiGatewayUsageKeys('tessera-dev-merchant', 'dev').issue(request)).rejects.toThrow(
      /found 2/,
    );
  });

  it('is idempotent on retry: a create that conflicts reuses the key of that name and value', async () => {
    gateway.on(CreateApiKeyCommand).rejects(conflict());
    gateway.on(GetApiKeysCommand).resolves({
      items: [
        { id: 'someone-else', name: request.name, value: 'c'.repeat(48) },
        { id: 'key-7', name: request.name, value: request.value },
      ],
    });
    const keys = apiGatewayUsageKeys('tessera-dev-merchant', 'dev');
    expect(await keys.issue(request)).toBe('key-7');
    expect(gateway).toHaveReceivedCommandWith(GetApiKeysCommand, {
      nameQuery: request.name,
      includeValues: true,
    });
    expect(gateway).toHaveReceivedCommandWith(CreateUsagePlanKeyCommand, { keyId: 'key-7' });
    // Already on the plan (the earlier attempt attached it): still a success, nothing deleted.
    gateway.on(CreateUsagePlanKeyCommand).rejects(conflict());
    expect(await keys.issue(request)).toBe('key-7');
    expect(gateway).not.toHaveReceivedCommand(DeleteApiKeyCommand);
  });

  it('a conflict with no key of that value is a real conflict: thrown, nothing attached', async () => {
    gateway.on(CreateApiKeyCommand).rejects(conflict());
    gateway
      .on(GetApiKeysCommand)
      .resolves({ items: [{ id: 'x', name: request.name, value: 'd'.repeat(48) }] });
    await expect(apiGatewayUsageKeys('tessera-dev-merchant', 'dev').issue(request)).rejects.toBeInstanceOf(
      ConflictException,
    );
    expect(gateway).not.toHaveReceivedCommand(CreateUsagePlanKeyCommand);
  });

  it('deletes the new key when it cannot be attached, and throws the error (no key off the plan is left)', async () => {
    const throttled = new TooManyRequestsException({ message: 'slow down', $metadata: {} });
    gateway.on(CreateUsagePlanKeyCommand).rejects(throttled);
    await expect(apiGatewayUsageKeys('tessera-dev-merchant', 'dev').issue(request)).rejects.toBe(throttled);
    expect(gateway).toHaveReceivedCommandWith(DeleteApiKeyCommand, { apiKey: 'key-1' });
  });

  it('revokes by deleting the key; a key already gone is no error, another failure is', async () => {
    const keys = apiGatewayUsageKeys('tessera-dev-merchant', 'dev');
    await keys.revoke('key-1');
    expect(gateway).toHaveReceivedCommandWith(DeleteApiKeyCommand, { apiKey: 'key-1' });
    gateway.on(DeleteApiKeyCommand).rejects(new NotFoundException({ message: 'gone', $metadata: {} }));
    await expect(keys.revoke('key-1')).resolves.toBeUndefined();
    gateway.on(DeleteApiKeyCommand).rejects(new Error('AccessDenied'));
    await expect(keys.revoke('key-1')).rejects.toThrow('AccessDenied');
  });

  it('never puts the key value into an error', async () => {
    gateway.on(CreateApiKeyCommand).rejects(conflict());
    gateway.on(GetApiKeysCommand).resolves({ items: [] });
    const error = await apiGatewayUsageKeys('tessera-dev-merchant', 'dev')
      .issue(request)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(Error);
    expect(`${error?.message} ${error?.stack}`).not.toContain(request.value);
  });
});
