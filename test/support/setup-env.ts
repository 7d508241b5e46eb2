// Bogus credentials and region: no test may reach real AWS. The access key is new for every test
// file: DynamoDB Local (started without -sharedDb, global-setup.ts) keeps one database per key, so
// each file works on its own small database. Letters only, like every random id a test logs.
import { randomBytes } from 'node:crypto';

process.env.AWS_ACCESS_KEY_ID = `AKIDTEST${Array.from(randomBytes(12), (b) => String.fromCharCode(65 + (b % 26))).join('')}`;
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
process.env.POWERTOOLS_DEV = 'false';
// The e2e suites register many shoppers from 127.0.0.1; the per-IP limit has its own test.
process.env.REGISTRATIONS_PER_IP_PER_HOUR = '10000';
// The suites reuse a handful of test cards across many shoppers and check out in bursts under a
// frozen clock: account monitoring is off (RISK_CONFIG.enabled = false: approve, no I/O) unless a
// test sets its own RISK_CONFIG (test/integration/monitoring.test.ts, test/e2e/monitoring.test.ts,
// the bench). Its ~10 extra writes per checkout doubled the suite's time on DynamoDB Local.
process.env.RISK_CONFIG = JSON.stringify({ enabled: false });

// Tests that set TESSERA_LOCAL=1 get the local key service, as under the local runtime.
import { setLocalKeyServiceFactory } from '../../functions/lib/key-service.ts';
import { LocalKeyService } from '../../functions/lib/key-service-local.ts';

setLocalKeyServiceFactory((dataDir) => new LocalKeyService({ dataDir }));

// Nothing in a test may reach beyond loopback: any other connection attempt fails loudly.
import net from 'node:net';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  // net.connect() passes its normalized arguments as one array; sockets may also get (port, host).
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const host =
    typeof first === 'object' && first !== null
      ? (first as { host?: string; path?: string }).path
        ? 'localhost'
        : (first as { host?: string }).host
      : typeof args[1] === 'string'
        ? args[1]
        : undefined;
  if (host !== undefined && !LOOPBACK.test(host.replace(/^\[|\]$/g, ''))) {
    throw new Error(`test network guard: blocked a connection to ${host} (only loopback is allowed)`);
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

// Nor may a test query real DNS: outbound requests resolve through the injectable resolver, and a
// test that needs a name to resolve installs its own (test/support/dns.ts).
import { setResolver } from '../../functions/lib/outbound.ts';
import { testDefaultResolver } from './dns.ts';

setResolver(testDefaultResolver);
