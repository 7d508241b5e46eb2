import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement, NestedStack, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { NagPack } from 'cdk-nag';
import { AwsSolutionsChecks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config, resetConfig } from '../../functions/lib/config.ts';
import type { SecretName as FunctionSecretName } from '../../functions/lib/secrets.ts';
import { MAIN_TABLE, TABLES, VAULT_TABLE } from '../../functions/lib/tables.ts';
import { CARRIED_ATTRIBUTE } from '../../functions/monitoring/staged.ts';
import { buildApp } from '../../infra/app.ts';
import type { TesseraFunction } from '../../infra/constructs/function.ts';
import type { LeastPrivilegeRole } from '../../infra/constructs/iam.ts';
import { Jobs } from '../../infra/constructs/jobs.ts';
import { Keys, type KeyUse } from '../../infra/constructs/keys.ts';
import { Secrets } from '../../infra/constructs/secrets.ts';
import { jobs, type QueueConsumer, queueConsumers, type ScheduledJob } from '../../infra/jobs.ts';
import type { Route, RouteAccess } from '../../infra/routes/index.ts';
import { routes as apiRoutes } from '../../infra/routes/index.ts';
import { pageRoutes } from '../../infra/routes/pages.ts';
import { TesseraStack } from '../../infra/stack.ts';

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DeletionPolicy?: string;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The same feature flags `npx cdk synth` uses. */
const CONTEXT = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Json }).context;
/** The stack serves the JSON API and the hosted pages. */
const routes = [...apiRoutes, ...pageRoutes];
const deployed = routes.filter((r) => !r.localOnly);
const outdirs: string[] = [];
const newOutdir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-cdk-'));
  outdirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const mentions = (value: unknown, id: string) => JSON.stringify(value ?? null).includes(`"${id}"`);
const inCde = (route: { access: RouteAccess }) =>
  route.access.vault !== undefined || (route.access.keys ?? []).some((k) => k.startsWith('vault:'));
const VAULT_USES: KeyUse[] = ['vault:encrypt', 'vault:decrypt', 'vault:rewrap'];

/**
 * Reads synthesized templates the way CloudFormation will see them: every construct from its own
 * (nested) stack, with nested-stack parameters replaced by what the parent passes in, so an
 * assertion can say "this policy names the vault key" whichever stack the policy lives in.
 */
class Synthesized {
  private readonly templates = new Map<Stack, Template>();
  readonly root: TesseraStack;

  constructor(root: TesseraStack) {
    this.root = root;
  }

  template(stack: Stack): Template {
    let template = this.templates.get(stack);
    if (!template) {
      template = Template.fromStack(stack);
      this.templates.set(stack, template);
    }
    return template;
  }

  stacks(): Stack[] {
    return [
      this.root,
      ...[...this.root.api.capabilityStacks.values()].map((c) => c.stack),
      this.root.jobs.functionStack.stack,
      ...(this.root.collection.workers ? [this.root.collection.workers.stack] : []),
      this.root.riskStream.functions.stack,
    ];
  }

  /** Every function: the routes', the jobs', then the queue consumers', with the access each was built from. */
  functions(
    routeTable: readonly Route[],
    jobTable: readonly ScheduledJob[],
    consumerTable: readonly QueueConsumer[] = [],
  ) {
    const fromRoutes = routeTable
      .filter((r) => !r.localOnly)
      .map((r) => ({
        name: r.operationId,
        access: r.access,
        fn: this.root.api.functions.get(r.operationId),
      }));
    const fromJobs = jobTable.map((j) => ({
      name: j.name,
      access: j.access,
      fn: this.root.jobs.functions.get(j.name),
    }));
    const fromConsumers = consumerTable.map((c) => ({
      name: c.name,
      access: c.access,
      fn: this.root.collection.functions.get(c.name),
    }));
    return [...fromRoutes, ...fromJobs, ...fromConsumers].map(({ name, access, fn }) => ({
      name,
      access,
      fn: fn ?? never(),
    }));
  }

  resources(stack: Stack): Record<string, Resource> {
    return this.template(stack).toJSON().Resources as Record<string, Resource>;
  }

  allResources(): Array<[Stack, Resource]> {
    return this.stacks().flatMap((stack) =>
      Object.values(this.resources(stack)).map((r) => [stack, r] as [Stack, Resource]),
    );
  }

  /** The logical id of a construct (or its default child) in the parent stack's terms. */
  id(construct: IConstruct): string {
    const element = (construct.node.defaultChild ?? construct) as CfnElement;
    return Stack.of(element).getLogicalId(element);
  }

  /** A construct's resource, parameters dereferenced. */
  resource(construct: IConstruct): Resource {
    const stack = Stack.of((construct.node.defaultChild ?? construct) as CfnElement);
    const resource = this.resources(stack)[this.id(construct)];
    if (!resource) throw new Error(`no resource for ${construct.node.path}`);
    return this.deref(stack, resource) as Resource;
  }

  /** Replaces `{ Ref: <nested parameter> }` with the value the parent passes for it. */
  deref(stack: Stack, value: unknown): unknown {
    if (!NestedStack.isNestedStack(stack) || !stack.nestedStackParent) return value;
    const parent = stack.nestedStackParent;
    const nestedResource = this.resources(parent)[this.id(stack.nestedStackResource ?? never())];
    const parameters = (nestedResource?.Properties.Parameters ?? {}) as Json;
    const walk = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(walk);
      if (node === null || typeof node !== 'object') return node;
      const ref = (node as { Ref?: unknown }).Ref;
      if (typeof ref === 'string' && ref in parameters) return this.deref(parent, parameters[ref]);
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    };
    return walk(value);
  }

  /** The statements of a function's execution role, or of a role (all in its one managed policy). */
  statementsOf(of: TesseraFunction | LeastPrivilegeRole): Statement[] {
    const role = 'executionRole' in of ? of.executionRole : of;
    return (this.resource(role.policy).Properties.PolicyDocument as { Statement: Statement[] }).Statement;
  }

  /** The vault key's policy statements. */
  vaultKeyPolicy(): Statement[] {
    return (this.resource(this.root.keys.vault).Properties.KeyPolicy as { Statement: Statement[] }).Statement;
  }
}

function nagFindings(packs: NagPack[], scope: App) {
  const violations = packs.flatMap((p) => p.validateScope(scope).violations);
  const count = (severity: string) =>
    violations.filter((v) => v.severity === severity).reduce((n, v) => n + v.violatingResources.length, 0);
  return { violations, errors: count('error'), warnings: count('warning') };
}

/** Resource `*` and wildcard KMS actions appear only where the IAM5 acknowledgements say they do. */
function assertAcknowledgedWildcards(synth: Synthesized) {
  const stack = synth.root;
  const starActions = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
  const vpcStarActions = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'];
  const tableKeys = [stack.keys.data, stack.keys.vault].map((k) => synth.id(k));
  for (const fn of [
    ...stack.api.functions.values(),
    ...stack.jobs.functions.values(),
    ...stack.collection.functions.values(),
  ]) {
    for (const s of synth.statementsOf(fn)) {
      if (asArray(s.Resource as string | string[]).includes('*')) {
        const allowed = fn.isBoundToVpc ? [...starActions, ...vpcStarActions] : starActions;
        expect(
          asArray(s.Action).every((a) => allowed.includes(a)),
          JSON.stringify(s),
        ).toBe(true);
      }
      // kms:GenerateDataKey* / kms:ReEncrypt* come from table grants: table keys, via DynamoDB only.
      if (asArray(s.Action).some((a) => a.startsWith('kms:') && a.endsWith('*'))) {
        expect(
          tableKeys.some((key) => mentions(s.Resource, key)),
          JSON.stringify(s),
        ).toBe(true);
        expect(viaDynamoDb(s), JSON.stringify(s)).toBe(true);
      }
    }
  }
}

const viaDynamoDb = (s: Statement) =>
  /"kms:ViaService":\{"Fn::Join":\["",\["dynamodb\./.test(JSON.stringify(s.Condition ?? {}));
const viaSecretsManager = (s: Statement) =>
  /"kms:ViaService":\{"Fn::Join":\["",\["secretsmanager\./.test(JSON.stringify(s.Condition ?? {}));
const viaSqs = (s: Statement) =>
  /"kms:ViaService":\{"Fn::Join":\["",\["sqs\./.test(JSON.stringify(s.Condition ?? {}));
/** Direct key use: not bound to a service's use of the key on the caller's behalf. */
const direct = (s: Statement) => !viaDynamoDb(s) && !viaSecretsManager(s) && !viaSqs(s);

/**
 * The vault invariants: only functions with vault access reference the vault table or key at all,
 * and the vault key is usable outside DynamoDB and Secrets Manager (to wrap, unwrap or re-wrap card
 * data keys) only with exactly the actions of the `vault:*` uses listed: encryption for the vault
 * functions, decryption for the vault functions and the charger, ReEncrypt for the rewrap.
 */
function assertVaultIsolation(
  synth: Synthesized,
  subject: { name: string; access: RouteAccess },
  statements: Statement[],
) {
  const { name, access } = subject;
  const vaultKey = synth.id(synth.root.keys.vault);
  const vaultTable = `:table/tessera-dev-${VAULT_TABLE.logicalName}`;
  const touches = statements.some(
    (s) => mentions(s.Resource, vaultKey) || JSON.stringify(s.Resource ?? null).includes(vaultTable),
  );
  const readsVaultSecret = (access.secrets ?? []).some((n) => n === 'fingerprint');
  expect(
    touches && !inCde(subject) && !readsVaultSecret,
    `${name} reaches the vault without vault access`,
  ).toBe(false);
  if (access.vault) expect(touches).toBe(true);

  const directActions = statements
    .filter((s) => mentions(s.Resource, vaultKey) && direct(s))
    .flatMap((s) => asArray(s.Action));
  const keys = access.keys ?? [];
  const expected = VAULT_USES.filter((use) => keys.includes(use)).flatMap((use) => Keys.actions(use));
  expect([...new Set(directActions)].sort(), `${name}: direct vault key actions`).toEqual(
    [...new Set(expected)].sort(),
  );
  const canWrap = directActions.some(
    (a) => a.startsWith('kms:GenerateDataKey') || a === 'kms:Encrypt' || a === 'kms:ReEncryptTo',
  );
  const canUnwrap = directActions.some((a) => a === 'kms:Decrypt' || a === 'kms:ReEncryptFrom');
  expect(canWrap, `${name} may wrap with the vault key`).toBe(
    keys.includes('vault:encrypt') || keys.includes('vault:rewrap'),
  );
  expect(canUnwrap, `${name} may unwrap with the vault key`).toBe(
    keys.includes('vault:decrypt') || keys.includes('vault:rewrap'),
  );
  // Whatever reaches the vault key through Secrets Manager is Decrypt only (the fingerprint secret).
  const viaSecrets = statements
    .filter((s) => mentions(s.Resource, vaultKey) && viaSecretsManager(s))
    .flatMap((s) => asArray(s.Action));
  expect(viaSecrets, name).toEqual(
    readsVaultSecret && !keys.includes('vault:decrypt') ? ['kms:Decrypt'] : [],
  );
}

/** The ARN a key policy uses for a role with a fixed name, as the role's own template spells the name. */
function fixedRoleArn(synth: Synthesized, fn: TesseraFunction): unknown {
  const name = synth.resource(fn.executionRole).Properties.RoleName as { 'Fn::Join': [string, unknown[]] };
  expect(name, `${fn.node.id} has a fixed role name`).toBeDefined();
  const [, parts] = name['Fn::Join'];
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':iam::',
        { Ref: 'AWS::AccountId' },
        `:role/${String(parts[0])}`,
        ...parts.slice(1),
      ],
    ],
  };
}

/** Each vault use's Deny names exactly the roles granted that use, and covers only direct calls. */
function assertVaultKeyPolicy(synth: Synthesized, functions: ReturnType<Synthesized['functions']>) {
  const policy = synth.vaultKeyPolicy();
  const directByIam = { Null: { 'kms:ViaService': 'true' }, Bool: { 'aws:PrincipalIsAWSService': 'false' } };
  for (const use of VAULT_USES) {
    const deny = policy.find(
      (s) => s.Effect === 'Deny' && asArray(s.Action).join() === Keys.actions(use).join(),
    );
    expect(deny, use).toBeDefined();
    expect(deny?.Principal).toEqual({ AWS: '*' });
    const holders = functions.filter((f) => (f.access.keys ?? []).includes(use));
    expect(deny?.Condition, use).toEqual({
      ...directByIam,
      ...(holders.length > 0
        ? { ArnNotEquals: { 'aws:PrincipalArn': holders.map((h) => fixedRoleArn(synth, h.fn)) } }
        : {}),
    });
  }
  const others = policy.find((s) => s.Sid === 'DenyOtherDirectVaultUse');
  expect(asArray(others?.Action)).toEqual(
    expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:CreateGrant']),
  );
  expect(others?.Condition).toEqual(directByIam);
  // Allows go to this account only (IAM decides), never to a service principal or another account.
  for (const s of policy) {
    expect(JSON.stringify(s.Principal ?? null), JSON.stringify(s)).not.toContain('"Service"');
    if (s.Effect === 'Allow') expect(JSON.stringify(s.Principal)).toMatch(/AWS::AccountId"\},":root"/);
  }
}

describe('Tessera stack (dev)', () => {
  let app: App;
  let stack: TesseraStack;
  let packs: NagPack[];
  let assembly: CloudAssembly;
  let synth: Synthesized;
  let template: Template;
  let resources: Record<string, Resource>;

  beforeAll(() => {
    const built = buildApp({ stage: 'dev', appProps: { context: CONTEXT, outdir: newOutdir() } });
    ({ app, stack, packs } = built);
    // Runs bundling and the cdk-nag plugins: an unacknowledged cdk-nag error throws here.
    assembly = app.synth();
    synth = new Synthesized(stack);
    template = synth.template(stack);
    resources = synth.resources(stack);
  }, 420_000);

  it('reports zero cdk-nag errors across AwsSolutions, PCI DSS 3.2.1 and Serverless', () => {
    const { violations, errors, warnings } = nagFindings(packs, app);
    console.log(`cdk-nag: ${errors} errors, ${warnings} warnings`);
    expect(violations.filter((v) => v.severity === 'error').map((v) => v.ruleName)).toEqual([]);
    expect(errors).toBe(0);
  });

  it('creates every table from its definition: keys, GSIs, TTL, stream, PITR, CMK, protection', () => {
    const tables = Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(TABLES.length);
    for (const definition of TABLES) {
      const table = tables.find((t) => t.Properties.TableName === `tessera-dev-${definition.logicalName}`);
      expect(table, definition.logicalName).toBeDefined();
      const props = table?.Properties ?? {};
      expect(table?.DeletionPolicy).toBe('Retain');
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
      expect(props.DeletionProtectionEnabled).toBe(true);
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(props.KeySchema).toEqual([
        { AttributeName: definition.partitionKey, KeyType: 'HASH' },
        { AttributeName: definition.sortKey, KeyType: 'RANGE' },
      ]);
      // Exactly the definition's GSIs: none missing, none extra.
      const gsis = asArray(props.GlobalSecondaryIndexes as Json[] | undefined).map((g) => ({
        name: g.IndexName,
        keys: g.KeySchema,
      }));
      expect(gsis).toEqual(
        definition.indexes.map((i) => ({
          name: i.name,
          keys: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
        })),
      );
      expect(props.TimeToLiveSpecification).toEqual(
        definition.ttlAttribute ? { AttributeName: definition.ttlAttribute, Enabled: true } : undefined,
      );
      expect(props.StreamSpecification).toEqual(
        definition.stream ? { StreamViewType: definition.stream } : undefined,
      );
      const key = definition.logicalName === VAULT_TABLE.logicalName ? stack.keys.vault : stack.keys.data;
      expect(props.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [synth.id(key), 'Arn'] },
      });
    }
  });

  it('creates customer-managed KMS keys with rotation and aliases', () => {
    template.resourceCountIs('AWS::KMS::Key', 4);
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const name of ['vault', 'secrets', 'data', 'ops']) {
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/tessera/dev/${name}` });
    }
    // The vault key's policy admits no AWS service principal, and denies direct use to every role
    // but those granted it.
    assertVaultKeyPolicy(synth, synth.functions(routes, jobs, queueConsumers));
  });

  it('deploys one Lambda function per non-local route: Node 24, arm64, traced, DLQ, own log group', () => {
    const functions = synth.allResources().filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    // Routes, jobs, queue consumers and the risk stream consumer.
    expect(functions).toHaveLength(deployed.length + jobs.length + queueConsumers.length + 1);
    expect([...stack.api.functions.keys()]).toEqual(deployed.map((r) => r.operationId));
    for (const route of deployed) {
      const fn = stack.api.functions.get(route.operationId) ?? never();
      const props = synth.resource(fn).Properties;
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: `index.${route.handler}`,
        MemorySize: 512,
        Timeout: 10,
        TracingConfig: { Mode: 'Active' },
        DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [synth.id(stack.deadLetterQueue), 'Arn'] } },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: synth.id(fn.functionLogGroup) } },
      });
      const env = (props.Environment as { Variables: Record<string, string> }).Variables;
      expect(env).toMatchObject({
        STAGE: 'dev',
        POWERTOOLS_SERVICE_NAME: 'tessera',
        NODE_OPTIONS: '--enable-source-maps',
      });
      for (const definition of TABLES)
        expect(env[definition.envVar]).toBe(`tessera-dev-${definition.logicalName}`);
      // The cardholder data environment, and only it, runs in the isolated vault subnets.
      expect(props.VpcConfig !== undefined, route.operationId).toBe(inCde(route));
    }
    // Every log group, in every stack, is encrypted with the ops key and expires.
    const logGroups = synth.allResources().filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(deployed.length + jobs.length);
    for (const [owner, logGroup] of logGroups) {
      expect(synth.deref(owner, logGroup.Properties.KmsKeyId)).toEqual({
        'Fn::GetAtt': [synth.id(stack.keys.ops), 'Arn'],
      });
      expect(logGroup.Properties.RetentionInDays).toEqual(expect.any(Number));
    }
  });

  it('bundles every function locally (ESM, source map) and prints the sizes', () => {
    const sizes: string[] = [];
    for (const route of deployed) {
      const fn = stack.api.functions.get(route.operationId) ?? never();
      const code = synth.resource(fn).Properties.Code as { S3Key: string };
      const bundle = path.join(assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
      expect(existsSync(bundle), `${route.operationId}: ${bundle}`).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      // Source maps for stack traces, never a copy of the sources (no code ships in the map).
      const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sourcesContent?: unknown[] };
      expect(map.sourcesContent ?? [], route.operationId).toEqual([]);
      expect(readFileSync(bundle, 'utf8').slice(0, 200)).toContain('createRequire');
      sizes.push(`${route.operationId} ${Math.round(statSync(bundle).size / 1024)} KB`);
    }
    console.log(`bundles: ${sizes.join(', ')}`);
  });

  it('bundles only production adapters: no function (route or job) contains the local key service', () => {
    // Source maps list every input file esbuild put into the bundle.
    const sources = (fn: IConstruct) => {
      const code = synth.resource(fn).Properties.Code as { S3Key: string };
      const map = path.join(assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs.map');
      return (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources;
    };
    let withKms = 0;
    for (const subject of synth.functions(routes, jobs)) {
      const files = sources(subject.fn);
      expect(files.length, subject.name).toBeGreaterThan(0);
      expect(
        files.filter((f) => f.includes('functions/lib/key-service-local')),
        subject.name,
      ).toEqual([]);
      if (files.some((f) => f.endsWith('functions/lib/key-service-kms.ts'))) withKms++;
    }
    // The functions that use keys do bundle the KMS adapter (the check above looks at real bundles).
    expect(withKms).toBeGreaterThan(0);
  });

  it('maps every route to a method: IAM for operators, proxy integration to its own function', () => {
    for (const route of deployed) {
      const fn = stack.api.functions.get(route.operationId) ?? never();
      const method = stack.api.methods.get(route.operationId) ?? never();
      const props = synth.resource(method).Properties;
      expect(props).toMatchObject({
        OperationName: route.operationId,
        HttpMethod: route.method,
        AuthorizationType: route.auth === 'operator' ? 'AWS_IAM' : 'NONE',
        RequestValidatorId: expect.anything(),
        Integration: expect.objectContaining({ Type: 'AWS_PROXY' }),
      });
      // Method, function and invoke permission share the capability stack (docs/adr/0025-…).
      const home = Stack.of(fn);
      expect(Stack.of(method), route.operationId).toBe(home);
      expect(JSON.stringify(props.Integration)).toContain(`{"Fn::GetAtt":["${synth.id(fn)}","Arn"]}`);
      const permissions = Object.values(synth.resources(home)).filter(
        (r) => r.Type === 'AWS::Lambda::Permission' && mentions(r.Properties.FunctionName, synth.id(fn)),
      );
      expect(permissions.length, route.operationId).toBe(1);
      const permission = synth.deref(home, permissions[0]) as Resource;
      expect(permission.Properties.Principal).toBe('apigateway.amazonaws.com');
      // This API, the deployed stage by name (no test-invoke stage), this method and path only.
      const source = JSON.stringify(permission.Properties.SourceArn);
      expect(source).toContain(`{"Ref":"${synth.id(stack.api.api)}"}`);
      expect(source).toContain(`/dev/${route.method}${route.path.replace(/\{[^}]+\}/g, '*')}"`);
    }
    // The parent keeps the REST API and its path resources; no method, model or permission.
    const perRoute = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::ApiGateway::Method' ||
        r.Type === 'AWS::ApiGateway::Model' ||
        (r.Type === 'AWS::Lambda::Permission' && r.Properties.Principal === 'apigateway.amazonaws.com'),
    );
    expect(perRoute).toEqual([]);
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  it('hardens the API: TLS 1.2+, access logs, tracing, throttling, no caching, usage plan', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      SecurityPolicy: Match.stringLikeRegexp('^SecurityPolicy_TLS13_1_2'),
      EndpointAccessMode: 'STRICT',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      // The stage-wide settings, then the sensitive routes' own (security-baseline.test.ts).
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          CachingEnabled: false,
          MetricsEnabled: true,
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ]),
    });
    // No method setting turns execution logging off or data tracing on.
    const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Stage');
    for (const setting of (stage ?? never()).Properties.MethodSettings as Json[]) {
      expect(setting).toMatchObject({
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        CachingEnabled: false,
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: Match.anyValue(), BurstLimit: Match.anyValue() },
      Quota: { Limit: Match.anyValue(), Period: 'DAY' },
    });
    // Gateway rejections use the API error envelope.
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'WAF_FILTERED',
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp('"error":\\{"type":"permission_error"'),
      },
    });
  });

  it('validates bodies by structure only, so the gateway never quotes a value into its logs', () => {
    const models = synth
      .allResources()
      .map(([, r]) => r)
      .filter((r) => r.Type === 'AWS::ApiGateway::Model');
    expect(models.length).toBe(deployed.filter((r) => r.request?.body).length);
    const banned =
      /"(maxLength|minLength|pattern|format|enum|minimum|maximum|exclusiveMinimum|exclusiveMaximum|multipleOf|oneOf)":/;
    for (const model of models) expect(JSON.stringify(model.Properties.Schema)).not.toMatch(banned);
  });

  it('puts WAF in front of the stage with managed rules, a rate rule and logging', () => {
    for (const name of [
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesAmazonIpReputationList',
    ]) {
      template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        Rules: Match.arrayWith([
          Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } } }),
        ]),
      });
    }
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ AggregateKeyType: 'IP' }) } }),
      ]),
    });
    const association = Object.values(resources).find((r) => r.Type === 'AWS::WAFv2::WebACLAssociation');
    expect(mentions(association?.Properties.ResourceArn, synth.id(stack.api.api.deploymentStage))).toBe(true);
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'authorization' } }]),
    });
  });

  it('alarms on every function (errors, throttles), API 5XX and DLQ depth, through an encrypted topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [synth.id(stack.keys.ops), 'Arn'] },
    });
    const topic = { Ref: synth.id(stack.monitoring.topic) };
    const alarms = synth
      .allResources()
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([owner, r]) => synth.deref(owner, r.Properties) as Json);
    for (const fn of [
      ...stack.api.functions.values(),
      ...stack.jobs.functions.values(),
      ...stack.collection.functions.values(),
      stack.riskStream.fn,
    ]) {
      for (const metric of ['Errors', 'Throttles']) {
        const alarm = alarms.find(
          (a) =>
            a.MetricName === metric && a.Namespace === 'AWS/Lambda' && mentions(a.Dimensions, synth.id(fn)),
        );
        expect(alarm, `${fn.node.id} ${metric}`).toBeDefined();
        expect(alarm?.AlarmActions).toEqual([topic]);
      }
    }
    expect(alarms.some((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5XXError')).toBe(true);
    for (const queue of [
      stack.deadLetterQueue,
      stack.jobs.deadLetterQueue,
      stack.riskStream.deadLetterQueue,
    ]) {
      const depth = alarms.find(
        (a) =>
          a.Namespace === 'AWS/SQS' &&
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          mentions(a.Dimensions, synth.id(queue)),
      );
      expect(depth, queue.node.id).toBeDefined();
      expect(depth?.AlarmActions).toEqual([topic]);
    }
    // Errors and throttles per function (routes, jobs, queue consumers, the risk stream consumer),
    // API 5XX, the three DLQs, the collection queues' DLQs and the charge failure rate, the alarm
    // delivery DLQ and the seven security alarms (security-baseline.test.ts names them).
    const functionCount = deployed.length + jobs.length + queueConsumers.length + 1;
    expect(alarms).toHaveLength(functionCount * 2 + 4 + queueConsumers.length + 1 + 1 + 7);
  });

  it('grants each function (routes and jobs) only what its access lists', () => {
    const mainTable = `:table/tessera-dev-${MAIN_TABLE.logicalName}`;
    const writes = [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ];
    for (const subject of synth.functions(routes, jobs, queueConsumers)) {
      const { name, access, fn } = subject;
      const statements = synth.statementsOf(fn);
      const actions = statements.flatMap((s) => asArray(s.Action));
      if (!access.main && !access.vault) {
        expect(
          actions.filter((a) => a.startsWith('dynamodb:')),
          name,
        ).toEqual([]);
      }
      if (access.main === 'read') {
        const onMain = statements
          .filter((s) => JSON.stringify(s.Resource ?? null).includes(mainTable))
          .flatMap((s) => asArray(s.Action));
        expect(onMain).toContain('dynamodb:GetItem');
        for (const write of writes) expect(onMain, name).not.toContain(write);
      }
      if (!access.notify) {
        expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('ses:'))).toEqual([]);
      }
      // The secrets key: exactly the listed uses, directly.
      const onSecretsKey = statements
        .filter((s) => mentions(s.Resource, synth.id(stack.keys.secrets)))
        .flatMap((s) => asArray(s.Action))
        .sort();
      const secretsUses = (access.keys ?? []).filter((k) => k.startsWith('secrets:'));
      expect(onSecretsKey, name).toEqual(secretsUses.flatMap((use) => Keys.actions(use)).sort());
      // Secrets: exactly the listed ones, each named in the environment.
      const env = (synth.resource(fn).Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      for (const [secretName, secret] of stack.secrets.secrets) {
        const listed = (access.secrets ?? []).includes(secretName);
        expect(
          statements.some((s) => mentions(s.Resource, synth.id(secret))),
          `${name} ${secretName}`,
        ).toBe(listed);
        expect(env[`${secretName.toUpperCase().replaceAll('-', '_')}_SECRET_ARN`] !== undefined).toBe(listed);
      }
      assertVaultIsolation(synth, subject, statements);
    }
  });

  it('gives list cursors their own secret: listOrders reads cursor-signing, not session-signing', () => {
    const listOrders = routes.find((r) => r.operationId === 'listOrders') ?? never();
    expect(listOrders.access.secrets).toEqual(['cursor-signing']);
    const statements = synth.statementsOf(stack.api.functions.get('listOrders') ?? never());
    expect(
      statements.some((s) => mentions(s.Resource, synth.id(stack.secrets.secret('cursor-signing')))),
    ).toBe(true);
    expect(
      statements.some((s) => mentions(s.Resource, synth.id(stack.secrets.secret('session-signing')))),
    ).toBe(false);
    expect(synth.resource(stack.secrets.secret('cursor-signing')).Properties).toMatchObject({
      Name: 'tessera/dev/cursor-signing',
      KmsKeyId: { 'Fn::GetAtt': [synth.id(stack.keys.data), 'Arn'] },
    });
  });

  it('names every secret the way the functions read it (SecretName, config, ARN variable)', () => {
    // Type-level: every infra secret is a name functions/lib/secrets.ts can read.
    const names: FunctionSecretName[] = [...stack.secrets.secrets.keys()];
    expect(names).toContain('cursor-signing');
    const saved = { ...process.env };
    try {
      for (const name of names) process.env[Secrets.envVar(name)] = `arn:test:${name}`;
      resetConfig();
      const parsed = config() as unknown as Record<string, unknown>;
      for (const name of names) expect(parsed[Secrets.envVar(name)], name).toBe(`arn:test:${name}`);
    } finally {
      process.env = saved;
      resetConfig();
    }
  });

  it('encrypts the fingerprint secret under the vault key, the other secrets under the data key', () => {
    for (const [name, secret] of stack.secrets.secrets) {
      const key = name === 'fingerprint' ? stack.keys.vault : stack.keys.data;
      expect(synth.resource(secret).Properties.KmsKeyId, name).toEqual({
        'Fn::GetAtt': [synth.id(key), 'Arn'],
      });
    }
    // addCard reads it (vault:encrypt, no vault:decrypt): kms:Decrypt on the vault key, through
    // Secrets Manager only.
    const onVaultKey = synth
      .statementsOf(stack.api.functions.get('addCard') ?? never())
      .filter((s) => mentions(s.Resource, synth.id(stack.keys.vault)) && !viaDynamoDb(s));
    const decrypt = onVaultKey.filter((s) => asArray(s.Action).includes('kms:Decrypt'));
    expect(decrypt).toHaveLength(1);
    expect(viaSecretsManager(decrypt[0] ?? never())).toBe(true);
    expect(asArray(decrypt[0]?.Action)).toEqual(['kms:Decrypt']);
  });

  it('lets the rewrap route re-wrap with the vault key and do nothing else with it', () => {
    const rewrap = routes.find((r) => r.operationId === 'rewrapVault') ?? never();
    expect(rewrap.access.keys).toEqual(['vault:rewrap']);
    const onVaultKey = synth
      .statementsOf(stack.api.functions.get('rewrapVault') ?? never())
      .filter((s) => mentions(s.Resource, synth.id(stack.keys.vault)) && direct(s))
      .flatMap((s) => asArray(s.Action));
    expect(onVaultKey.sort()).toEqual(['kms:ReEncryptFrom', 'kms:ReEncryptTo']);
  });

  it('lets the sealed-response route seal and unseal under the secrets key', () => {
    const statements = synth.statementsOf(stack.api.functions.get('createWebhookEndpoint') ?? never());
    const onSecretsKey = statements
      .filter((s) => mentions(s.Resource, synth.id(stack.keys.secrets)))
      .flatMap((s) => asArray(s.Action));
    expect(onSecretsKey.sort()).toEqual(['kms:Decrypt', 'kms:Encrypt']);
  });

  it('schedules every job on EventBridge Scheduler: its function, {} input, retries, a DLQ', () => {
    const jobStack = stack.jobs.functionStack.stack;
    const jobTemplate = synth.template(jobStack);
    jobTemplate.resourceCountIs('AWS::Scheduler::Schedule', jobs.length);
    const dlq = { 'Fn::GetAtt': [synth.id(stack.jobs.deadLetterQueue), 'Arn'] };
    const group = { 'Fn::GetAtt': [synth.id(stack.jobs.group), 'Arn'] };
    for (const job of jobs) {
      const fn = stack.jobs.functions.get(job.name) ?? never();
      const schedule = synth.resource(stack.jobs.schedules.get(job.name) ?? never()).Properties;
      const role = stack.jobs.schedulerRoles.get(job.name) ?? never();
      expect(schedule, job.name).toMatchObject({
        Name: `tessera-dev-${job.name}`,
        GroupName: 'tessera-dev-jobs',
        ScheduleExpression: job.schedule,
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [synth.id(fn), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [synth.id(role), 'Arn'] },
          Input: '{}',
          DeadLetterConfig: { Arn: dlq },
          RetryPolicy: {
            MaximumRetryAttempts: expect.any(Number),
            MaximumEventAgeInSeconds: expect.any(Number),
          },
        },
      });
      const retry = (schedule.Target as { RetryPolicy: Record<string, number> }).RetryPolicy;
      expect(retry.MaximumRetryAttempts).toBeGreaterThan(0);
      // The scheduler's role may invoke exactly this function and write to the (KMS-encrypted) DLQ,
      // using the DLQ's key through SQS only; nothing else.
      const statements = synth.statementsOf(role);
      expect(statements.slice(0, 2)).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [synth.id(fn), 'Arn'] },
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: dlq },
      ]);
      expect(statements).toHaveLength(3);
      expect(viaSqs(statements[2] ?? never())).toBe(true);
      expect(asArray(statements[2]?.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(synth.resource(role).Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [
          {
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': group },
            },
          },
        ],
      });
      // The function: its handler, its timeout, and the same DLQ for failed asynchronous runs.
      expect(synth.resource(fn).Properties).toMatchObject({
        Handler: `index.${job.handler}`,
        Timeout: job.timeoutSeconds,
        DeadLetterConfig: { TargetArn: dlq },
      });
      expect(fn.node.id).toBe(Jobs.functionId(job));
    }
  });

  it('grants the jobs what infra/jobs.ts declares', () => {
    const byName = (name: string) => jobs.find((j) => j.name === name) ?? never();
    expect(byName('webhook-delivery').access).toEqual({ main: 'readwrite', keys: ['secrets:decrypt'] });
    expect(byName('authorization-expiry').access).toEqual({ main: 'readwrite' });
    const keyUse = (name: string) =>
      synth
        .statementsOf(stack.jobs.functions.get(name) ?? never())
        .filter((s) => direct(s) && asArray(s.Action).some((a) => a.startsWith('kms:')))
        .map((s) => ({
          actions: asArray(s.Action),
          keys: [stack.keys.secrets, stack.keys.vault].filter((k) => mentions(s.Resource, synth.id(k))),
        }));
    expect(keyUse('webhook-delivery')).toEqual([{ actions: ['kms:Decrypt'], keys: [stack.keys.secrets] }]);
    expect(keyUse('authorization-expiry')).toEqual([]);
    const env = (name: string) =>
      (
        synth.resource(stack.jobs.functions.get(name) ?? never()).Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
    expect(env('webhook-delivery')).toHaveProperty('SECRETS_KEY_ID');
    expect(env('authorization-expiry')).not.toHaveProperty('SECRETS_KEY_ID');
    // Neither job is in the CDE.
    for (const fn of stack.jobs.functions.values()) expect(fn.isBoundToVpc).toBe(false);
  });

  it('collects installments: a cron in a time zone, queues with DLQs, partial batch failures, bounded concurrency', () => {
    const collection = jobs.find((j) => j.name === 'installment-collection') ?? never();
    const schedule = synth.resource(stack.jobs.schedules.get(collection.name) ?? never()).Properties;
    expect(schedule).toMatchObject({
      ScheduleExpression: collection.schedule,
      ScheduleExpressionTimezone: 'America/New_York',
    });
    for (const consumer of queueConsumers) {
      const queue = synth.resource(stack.collection.queue(consumer.queue)).Properties;
      const dlq = stack.collection.deadLetterQueues.get(consumer.queue) ?? never();
      expect(queue.RedrivePolicy).toMatchObject({ maxReceiveCount: 3 });
      expect(mentions(queue.RedrivePolicy, synth.id(dlq))).toBe(true);
      expect(queue.VisibilityTimeout).toBe(consumer.timeoutSeconds * 6);
      const fn = stack.collection.functions.get(consumer.name) ?? never();
      const mappings = synth
        .allResources()
        .filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')
        .map(([home, r]) => synth.deref(home, r) as Resource)
        .filter((r) => mentions(r.Properties.FunctionName, synth.id(fn)));
      expect(mappings).toHaveLength(1);
      expect(mappings[0]?.Properties).toMatchObject({
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: consumer.maxConcurrency },
      });
    }
    const alarms = synth
      .allResources()
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties);
    expect(alarms.some((a) => a.AlarmName === 'tessera-dev-CollectionChargeFailureRate')).toBe(true);
    for (const dlq of stack.collection.deadLetterQueues.values()) {
      expect(
        alarms.some(
          (a) =>
            a.MetricName === 'ApproximateNumberOfMessagesVisible' && mentions(a.Dimensions, synth.id(dlq)),
        ),
      ).toBe(true);
    }
  });

  it('feeds the risk stream consumer the item types it reads, at once: aggregates, decisions, audit records, and approvals carrying a decision (checkout counts) when inserted', () => {
    const mappings = synth
      .allResources()
      .filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')
      .map(([home, r]) => synth.deref(home, r) as Resource)
      .filter((r) => mentions(r.Properties.FunctionName, synth.id(stack.riskStream.fn)));
    expect(mappings).toHaveLength(1);
    const props = mappings[0]?.Properties ?? never();
    expect(props.MaximumBatchingWindowInSeconds ?? 0).toBe(0);
    expect(props).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      // A record that still fails after 3 retries goes to the stream's own DLQ (alarmed), not lost.
      MaximumRetryAttempts: 3,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [synth.id(stack.riskStream.deadLetterQueue), 'Arn'] } },
      },
    });
    type Pattern = { eventName: string[]; dynamodb: { NewImage: Record<string, unknown> } };
    const patterns = (props.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map(
      (f) => JSON.parse(f.Pattern) as Pattern,
    );
    const byType = patterns.filter((p) => p.dynamodb.NewImage.type !== undefined);
    expect(byType.flatMap((p) => (p.dynamodb.NewImage.type as { S: string[] }).S).sort()).toEqual(
      ['audit', 'riskAggregate', 'riskDecision'].sort(),
    );
    // A checkout's decision riding on its approval: matched by a leaf (its id), on INSERT only, so
    // the approval's later updates (its redemption) are not delivered.
    const carried = patterns.filter((p) => p.dynamodb.NewImage.type === undefined);
    expect(carried).toEqual([
      {
        eventName: ['INSERT'],
        dynamodb: { NewImage: { [CARRIED_ATTRIBUTE]: { M: { id: { S: [{ exists: true }] } } } } },
      },
    ]);
  });

  it('lets only the charger detokenize among the collection functions; each sends only to its own next queue', () => {
    const subjects = synth.functions(
      routes.filter((r) => r.entry.startsWith('functions/collection/')),
      jobs.filter((j) => j.entry.startsWith('functions/collection/')),
      queueConsumers,
    );
    expect(subjects.map((s) => s.name).sort()).toEqual(
      [
        'collection-charger',
        'collection-shard-worker',
        'getCollectionRun',
        'installment-collection',
        'runCollection',
      ].sort(),
    );
    const vaultKey = synth.id(stack.keys.vault);
    for (const { name, fn, access } of subjects) {
      const statements = synth.statementsOf(fn);
      const decrypts = statements.some(
        (s) => asArray(s.Action).includes('kms:Decrypt') && mentions(s.Resource, vaultKey) && !viaDynamoDb(s),
      );
      expect(decrypts, name).toBe(name === 'collection-charger');
      // (Every function may also send to its own async dead-letter queue: not a collection queue.)
      const sendsTo = (['collection-shards', 'collection-charges'] as const).filter((queueName) =>
        statements.some(
          (s) =>
            asArray(s.Action).includes('sqs:SendMessage') &&
            mentions(s.Resource, synth.id(stack.collection.queue(queueName))),
        ),
      );
      expect(sendsTo, name).toEqual(access.queues ?? []);
    }
  });

  it('lets no function outside the vault detokenize but the charger; capture and payoff hand it their charges', () => {
    const subjects = synth.functions(
      routes.filter((r) => !r.entry.startsWith('functions/vault/')),
      jobs,
      queueConsumers,
    );
    const vaultKey = synth.id(stack.keys.vault);
    const detokenizers = subjects
      .filter(({ fn }) =>
        synth
          .statementsOf(fn)
          .some(
            (s) => asArray(s.Action).includes('kms:Decrypt') && mentions(s.Resource, vaultKey) && direct(s),
          ),
      )
      .map((s) => s.name);
    expect(detokenizers).toEqual(['collection-charger']);
    for (const name of ['captureOrder', 'payOffMyOrder']) {
      const subject = subjects.find((s) => s.name === name) ?? never();
      expect(subject.access.vault, name).toBeUndefined();
      expect(subject.access.queues, name).toEqual(['collection-charges']);
      expect(synth.resource(subject.fn).Properties.VpcConfig, `${name} is outside the CDE`).toBeUndefined();
    }
  });

  it('has wildcards only where an acknowledgement explains them (IAM5)', () => {
    assertAcknowledgedWildcards(synth);
  });

  it('stays well inside the CloudFormation limit of 500 resources in every stack', () => {
    // The parent holds the REST API and its path resources only; each route's method, body model
    // and invoke permission sit with its function in the capability's nested stack (ADR 0025), so a
    // new route costs the parent at most its new path segments. Past 450 in a capability stack,
    // split the capability.
    const counts = synth.stacks().map((s) => [s.node.id, Object.keys(synth.resources(s)).length] as const);
    console.log(`resources per stack: ${counts.map(([id, n]) => `${id} ${n}`).join(', ')}`);
    for (const [id, count] of counts) {
      expect(count, id).toBeLessThan(id === synth.root.node.id ? 400 : 450);
    }
  });

  it('is environment-agnostic: no account or region baked in', () => {
    expect(stack.account).toMatch(/^\$\{Token/);
    expect(stack.region).toMatch(/^\$\{Token/);
  });
});

/**
 * Routes that later issues will add (vault, 2FA, notifications) must get exactly their grants;
 * a route table exercising every `RouteAccess` field proves the wiring before they exist.
 */
describe('RouteAccess wiring (synthetic routes)', () => {
  const base = {
    entry: 'functions/platform/handler.ts',
    handler: 'health',
    summary: 'synthetic',
    tags: [],
    responses: {},
  } satisfies Partial<Route>;
  const synthetic: Route[] = [
    {
      ...base,
      operationId: 'tokenizeCard',
      method: 'POST',
      path: '/v1/cards',
      auth: 'customer',
      access: { main: 'read', vault: 'readwrite', keys: ['vault:encrypt'], secrets: ['fingerprint'] },
    },
    {
      ...base,
      operationId: 'detokenizeCard',
      method: 'POST',
      path: '/v1/admin/cards/{id}/reveal',
      auth: 'operator',
      access: { vault: 'read', keys: ['vault:decrypt'] },
    },
    {
      ...base,
      operationId: 'rewrapCards',
      method: 'POST',
      path: '/v1/admin/cards/rewrap',
      auth: 'operator',
      access: { vault: 'readwrite', keys: ['vault:rewrap'] },
    },
    {
      ...base,
      operationId: 'matchCard',
      method: 'POST',
      path: '/v1/admin/cards/{id}/match',
      auth: 'operator',
      // Already decrypts under the vault key directly: no separate Secrets Manager-bound grant.
      access: { vault: 'read', keys: ['vault:decrypt'], secrets: ['fingerprint'] },
    },
    {
      ...base,
      operationId: 'verifyTwoFactor',
      method: 'POST',
      path: '/v1/customers/{id}/2fa',
      auth: 'customer',
      access: {
        main: 'readwrite',
        keys: ['secrets:encrypt', 'secrets:decrypt'],
        secrets: ['session-signing', 'otp-pepper'],
        notify: true,
      },
    },
    {
      ...base,
      operationId: 'localOutbox',
      method: 'GET',
      path: '/v1/outbox',
      auth: 'public',
      access: {},
      localOnly: true,
    },
  ];
  // A job in the cardholder data environment (the collection issue's charger will be one).
  const syntheticJobs: ScheduledJob[] = [
    {
      name: 'card-sweep',
      schedule: 'cron(0 6 * * ? *)',
      localEveryMs: 60_000,
      entry: 'functions/platform/handler.ts',
      handler: 'health',
      description: 'synthetic',
      access: { vault: 'read', keys: ['vault:decrypt'] },
      timeoutSeconds: 60,
    },
  ];
  let stack: TesseraStack;
  let synth: Synthesized;
  let app: App;
  const fn = (id: string) => stack.api.functions.get(id) ?? never();

  beforeAll(() => {
    app = new App({ context: CONTEXT, outdir: newOutdir() });
    stack = new TesseraStack(app, 'Tessera-dev', {
      stage: 'dev',
      routes: synthetic,
      jobs: syntheticJobs,
      consumers: [],
    });
    app.synth();
    synth = new Synthesized(stack);
  }, 420_000);

  it('skips local-only routes', () => {
    expect([...stack.api.functions.keys()]).toEqual([
      'tokenizeCard',
      'detokenizeCard',
      'rewrapCards',
      'matchCard',
      'verifyTwoFactor',
    ]);
  });

  it('grants keys, secrets and notifications exactly as listed', () => {
    // Direct key use: statements not bound to DynamoDB's or Secrets Manager's use of a key.
    const keyActions = (id: string, key: IConstruct) =>
      synth
        .statementsOf(fn(id))
        .filter((s) => mentions(s.Resource, synth.id(key)) && direct(s))
        .flatMap((s) => asArray(s.Action))
        .filter((a) => a.startsWith('kms:'));

    expect(keyActions('tokenizeCard', stack.keys.vault)).toContain('kms:GenerateDataKey');
    expect(keyActions('detokenizeCard', stack.keys.vault)).toContain('kms:Decrypt');
    expect(keyActions('detokenizeCard', stack.keys.vault)).not.toContain('kms:GenerateDataKey');
    expect(keyActions('detokenizeCard', stack.keys.vault)).not.toContain('kms:ReEncryptTo');
    expect(keyActions('tokenizeCard', stack.keys.vault)).not.toContain('kms:Decrypt');
    expect(keyActions('verifyTwoFactor', stack.keys.vault)).toEqual([]);
    expect(keyActions('verifyTwoFactor', stack.keys.secrets)).toEqual(
      expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt']),
    );
    expect(keyActions('tokenizeCard', stack.keys.secrets)).toEqual([]);
    expect(keyActions('rewrapCards', stack.keys.vault).sort()).toEqual([
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ]);
    expect(keyActions('matchCard', stack.keys.vault)).toEqual(['kms:Decrypt']);
    // The fingerprint secret is under the vault key: the tokenizer may decrypt it through Secrets
    // Manager only; the matcher's direct vault:decrypt already covers it.
    const vaultViaSecrets = (id: string) =>
      synth
        .statementsOf(fn(id))
        .filter((s) => mentions(s.Resource, synth.id(stack.keys.vault)) && viaSecretsManager(s))
        .flatMap((s) => asArray(s.Action));
    expect(vaultViaSecrets('tokenizeCard')).toEqual(['kms:Decrypt']);
    expect(vaultViaSecrets('matchCard')).toEqual([]);

    const secretsOf = (id: string) =>
      [...stack.secrets.secrets.entries()]
        .filter(([, secret]) =>
          synth.statementsOf(fn(id)).some((s) => mentions(s.Resource, synth.id(secret))),
        )
        .map(([name]) => name);
    expect(secretsOf('tokenizeCard')).toEqual(['fingerprint']);
    expect(secretsOf('detokenizeCard')).toEqual([]);
    expect(secretsOf('verifyTwoFactor').sort()).toEqual(['otp-pepper', 'session-signing']);
    // Secrets decrypt under the data key only through Secrets Manager.
    const onDataKey = synth
      .statementsOf(fn('verifyTwoFactor'))
      .filter((s) => mentions(s.Resource, synth.id(stack.keys.data)) && !viaDynamoDb(s));
    expect(onDataKey).toHaveLength(1);
    expect(viaSecretsManager(onDataKey[0] ?? never())).toBe(true);

    const env = (id: string) =>
      (synth.resource(fn(id)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env('tokenizeCard')).toHaveProperty('VAULT_KEY_ID');
    expect(env('tokenizeCard')).toHaveProperty('FINGERPRINT_SECRET_ARN');
    expect(env('verifyTwoFactor')).toHaveProperty('SECRETS_KEY_ID');
    expect(env('verifyTwoFactor')).toHaveProperty('NOTIFY_FROM_ADDRESS', 'no-reply@tessera.example');

    const notifyActions = (id: string) =>
      synth
        .statementsOf(fn(id))
        .flatMap((s) => asArray(s.Action))
        .filter((a) => a.startsWith('sns:') || a.startsWith('ses:'));
    expect(notifyActions('verifyTwoFactor').sort()).toEqual(['ses:SendEmail', 'sns:Publish']);
    expect(notifyActions('tokenizeCard')).toEqual([]);
    // SMS only: sns:Publish may not reach any topic; email only from our address.
    const statements = synth.statementsOf(fn('verifyTwoFactor'));
    const sms = statements.find((s) => asArray(s.Action).includes('sns:Publish'));
    expect(sms?.Resource).toBeUndefined();
    expect(JSON.stringify(sms?.NotResource)).toContain(':sns:*:*:*');
    const ses = statements.find((s) => asArray(s.Action).includes('ses:SendEmail'));
    expect(ses?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@tessera.example' } });

    for (const subject of synth.functions(synthetic, syntheticJobs)) {
      assertVaultIsolation(synth, subject, synth.statementsOf(subject.fn));
    }
  });

  it('names every vault-key role in the vault key policy, jobs included, without a cycle', () => {
    const functions = synth.functions(synthetic, syntheticJobs);
    assertVaultKeyPolicy(synth, functions);
    const sweep = stack.jobs.functions.get('card-sweep') ?? never();
    expect(sweep.isBoundToVpc).toBe(true);
    expect(JSON.stringify(synth.vaultKeyPolicy())).toContain('-cardSweepJob');
    // The key policy spells role ARNs out; it never references a role in a nested stack (which
    // would make the key wait for the stacks that wait for the key).
    expect(JSON.stringify(synth.resource(stack.keys.vault))).not.toContain('Outputs.');
    expect(() => stack.keys.restrictVaultKey()).toThrow(/twice/);
    expect(() => stack.keys.grant(sweep.executionRole, 'vault:decrypt', 'arn:aws:iam::1:role/x')).toThrow(
      /already written/,
    );
  });

  it('runs exactly the vault functions in the isolated vault subnets', () => {
    const sg = synth.id(stack.vaultNetwork?.functionSecurityGroup ?? never());
    for (const subject of synth.functions(synthetic, syntheticJobs)) {
      const vpcConfig = synth.resource(subject.fn).Properties.VpcConfig;
      expect(vpcConfig !== undefined, subject.name).toBe(inCde(subject));
      if (inCde(subject)) expect(mentions(vpcConfig, sg)).toBe(true);
    }
    // No way out but the endpoints: no internet or NAT gateway, only isolated subnets.
    const template = synth.template(stack);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
  });

  it('opens the CDE endpoints to exactly the tables, keys and secrets its functions use', () => {
    const endpoints = Object.values(synth.resources(stack)).filter((r) => r.Type === 'AWS::EC2::VPCEndpoint');
    const policyFor = (service: string) =>
      endpoints.find((e) => JSON.stringify(e.Properties.ServiceName).includes(service))?.Properties
        .PolicyDocument;
    const kms = policyFor('.kms');
    expect(mentions(kms, synth.id(stack.keys.vault))).toBe(true);
    for (const key of [stack.keys.data, stack.keys.secrets, stack.keys.ops]) {
      expect(mentions(kms, synth.id(key))).toBe(false);
    }
    const secrets = policyFor('.secretsmanager');
    expect(mentions(secrets, synth.id(stack.secrets.secret('fingerprint')))).toBe(true);
    expect(mentions(secrets, synth.id(stack.secrets.secret('otp-pepper')))).toBe(false);
    expect(mentions(policyFor('.dynamodb'), synth.id(stack.data.table(VAULT_TABLE)))).toBe(true);
  });

  it('has wildcards only where an acknowledgement explains them (IAM5)', () => {
    assertAcknowledgedWildcards(synth);
  });

  it('passes cdk-nag for every RouteAccess field, vault functions included', () => {
    const packs: NagPack[] = [new AwsSolutionsChecks(), new PCIDSS321Checks(), new ServerlessChecks()];
    const findings = packs
      .flatMap((p) => p.validateScope(app).violations)
      .flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`));
    expect(findings).toEqual([]);
  });
});

function never(): never {
  throw new Error('unreachable');
}
