import net from 'node:net';
import { expect, it } from 'vitest';

it('the test run carries bogus AWS credentials and region, never real ones', () => {
  // One per test file (its own DynamoDB Local database), never a real key's shape (AKIA/ASIA).
  expect(process.env.AWS_ACCESS_KEY_ID).toMatch(/^AKIDTEST[A-Z]{12}$/);
  expect(process.env.AWS_SECRET_ACCESS_KEY).toBe('test-secret-not-real');
  expect(process.env.AWS_REGION).toBe('us-east-1');
  expect(process.env.AWS_SESSION_TOKEN).toBeUndefined();
});

it('refuses any connection beyond loopback before a packet leaves (the guard in setup-env)', () => {
  expect(() => net.connect({ host: 'dynamodb.us-east-1.amazonaws.com', port: 443 })).toThrow(/network guard/);
  expect(() => net.connect(443, 'kms.us-east-1.amazonaws.com')).toThrow(/network guard/);
  const local = net.connect({ host: '127.0.0.1', port: 9 });
  local.on('error', () => {});
  local.destroy();
});
