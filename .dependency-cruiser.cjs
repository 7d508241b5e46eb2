// Module boundaries, checked by `npm run depcheck` (dependency-cruiser). The design is in the
// architecture document: dependencies point one way, handler -> use cases -> (store, ports, other
// capabilities' faces) -> functions/lib. There is no exceptions list: a violation is fixed in the
// code, or the rule (and this file's FACES/PORTS) changes in review.

/**
 * Each capability's face: the ONE file in functions/<capability>/ that another capability may import.
 * A capability missing here has no face: nothing outside it may import it. The face is named per
 * capability (it says what it offers: vault/access.ts, twofa/gate.ts), so it is listed, not guessed.
 */
const FACES = {
  agreements: 'access.ts', // a customer token's checks, the charge screen and the active-agreement condition
  balance: 'credits.ts', // credits to a customer's balance, committed in the caller's transaction
  checkout: 'approval.ts', // the authorization token's life: mint, check, consume
  credit: 'limit.ts', // the credit limit that caps a customer's checkout authorizations
  customers: 'contacts.ts', // a customer's contact details, the adapter of twofa's contact port
  disputes: 'case.ts', // whose dispute a case is, and its order (support's link to a dispute)
  identity: 'gate.ts', // the KYC gate: a customer's identity status
  installments: 'terms.ts', // plans, schedules, disclosures and refund allocation: pure calculation
  merchants: 'access.ts', // merchant API-key authentication; the webhook endpoint on the merchant record
  monitoring: 'risk.ts', // real-time risk assessment, risk signals, the open-flag check before money leaves
  orders: 'collection-face.ts', // what collection needs of an order; disputes' hold, resume and credit; whose order a case is about
  payments: 'processor.ts', // the CardProcessor port (re-exported) and the process-wide processor
  sessions: 'access.ts', // customer session authentication
  settlements: 'liability.ts',
  subscriptions: 'renewal.ts', // collection's renewal of a subscription and the charge outcomes it takes back // who bears a fraud-confirmed dispute, and its ledger entry (disputes)
  twofa: 'gate.ts', // step-up checks
  vault: 'access.ts', // a card without its number; the charger's detokenize
  webhooks: 'events.ts', // queue a webhook event inside the caller's transaction
};

/**
 * Ports and their adapters: a port must not reach (directly or through other modules) any of its
 * adapters; a factory outside it chooses (functions/lib/key-service.ts, the local runtime, a handler).
 */
const PORTS = {
  'functions/lib/key-service-port.ts': [
    'functions/lib/key-service-kms.ts',
    'functions/lib/key-service-local.ts',
  ],
  'functions/payments/processor-port.ts': ['functions/payments/sandbox.ts', 'functions/payments/stripe.ts'],
  'functions/lib/queue.ts': ['functions/lib/queue-memory.ts', 'functions/lib/queue-sqs.ts'],
  'functions/twofa/contacts.ts': ['functions/customers/contacts.ts'],
  'functions/identity/provider-port.ts': ['functions/identity/sandbox-provider.ts'],
  'functions/merchants/kyb-port.ts': ['functions/merchants/kyb-sandbox.ts'],
  'functions/merchants/usage-keys-port.ts': [
    'functions/merchants/usage-keys-apigateway.ts',
    'infra/local/usage-keys.ts',
  ],
  'functions/settlements/payout-port.ts': ['functions/settlements/payout-sandbox.ts'],
};

const literal = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const faceFiles = Object.entries(FACES).map(([capability, file]) => `${capability}/${literal(file)}`);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle anywhere (type-only imports count: they are how cycles start).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'capability-through-face',
      comment:
        "A capability imports another capability only through that capability's face (FACES in " +
        '.dependency-cruiser.cjs), never its store, schema, service or use-case files.',
      severity: 'error',
      from: { path: '^functions/([^/]+)/', pathNot: '^functions/pages/' },
      to: {
        path: '^functions/[^/]+/',
        pathNot: ['^functions/$1/', '^functions/lib/', `^functions/(${faceFiles.join('|')})$`],
      },
    },
    {
      name: 'pages-through-entries',
      comment:
        'The hosted pages (functions/pages) are a browser-facing gateway: they call the API through its ' +
        'route entry files (handler.ts, *-handler.ts), as API Gateway does, and through faces; never a ' +
        "capability's store, schema or use-case files (docs/adr/0023-hosted-pages.md).",
      severity: 'error',
      from: { path: '^functions/pages/' },
      to: {
        path: '^functions/[^/]+/',
        pathNot: [
          '^functions/pages/',
          '^functions/lib/',
          `^functions/(${faceFiles.join('|')})$`,
          '^functions/[^/]+/(handler|[a-z-]+-handler)[.]ts$',
        ],
      },
    },
    {
      name: 'kernel-imports-no-capability',
      comment: 'functions/lib is the shared kernel: it imports no capability.',
      severity: 'error',
      from: { path: '^functions/lib/' },
      to: { path: '^functions/', pathNot: '^functions/lib/' },
    },
    {
      name: 'functions-not-infra',
      comment: 'Lambda code never imports infra/ (CDK, routes, the local runtime).',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^infra/' },
    },
    ...Object.entries(PORTS).map(([port, adapters]) => ({
      name: 'port-not-adapter',
      comment: `${port} is a port: it never reaches its adapters (${adapters.join(', ')}); a factory outside it chooses.`,
      severity: 'error',
      from: { path: `^${literal(port)}$` },
      to: { path: `^(${adapters.map(literal).join('|')})$`, reachable: true },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|\\.data|\\.cache)/' },
    // TypeScript 7 has no compiler API dependency-cruiser can use; swc parses the sources, and keeps
    // type-only imports (they count: a type-only cycle is still a cycle).
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
