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
import { MAIN_TABLE, TABLES, VAULT_TABLE } from '../../functions/lib/tables.ts';
import { buildApp } from '../../infra/app.ts';
import type { TesseraFunction } from '../../infra/constructs/function.ts';
import type { Route } from '../../infra/routes.ts';
import { routes } from '../../infra/routes.ts';
import { TesseraStack } from '../../infra/stack.ts';

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DeletionPolicy?: string;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The same feature flags `npx cdk synth` uses. */
const CONTEXT = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Json }).context;
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
const inCde = (route: Route) =>
  route.access.vault !== undefined || (route.access.keys ?? []).some((k) => k.startsWith('vault:'));

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
    return [this.root, ...[...this.root.api.capabilityStacks.values()].map((c) => c.stack)];
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

  /** The statements of a function's execution role (all in its one managed policy). */
  statementsOf(fn: TesseraFunction): Statement[] {
    return (this.resource(fn.executionRole.policy).Properties.PolicyDocument as { Statement: Statement[] })
      .Statement;
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
  for (const fn of stack.api.functions.values()) {
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

/**
 * The vault invariants: only routes with vault access reference the vault table or key at all,
 * and the vault key is usable outside DynamoDB (to wrap or unwrap card data keys) only by routes
 * that list `vault:encrypt` / `vault:decrypt`: encryption for the vault functions, decryption for
 * the vault functions and the charger.
 */
function assertVaultIsolation(synth: Synthesized, route: Route, statements: Statement[]) {
  const vaultKey = synth.id(synth.root.keys.vault);
  const vaultTable = `:table/tessera-dev-${VAULT_TABLE.logicalName}`;
  const touches = statements.some(
    (s) => mentions(s.Resource, vaultKey) || JSON.stringify(s.Resource ?? null).includes(vaultTable),
  );
  expect(touches && !inCde(route), `${route.operationId} reaches the vault without vault access`).toBe(false);
  if (route.access.vault) expect(touches).toBe(true);

  const direct = statements
    .filter((s) => mentions(s.Resource, vaultKey) && !viaDynamoDb(s))
    .flatMap((s) => asArray(s.Action));
  const keys = route.access.keys ?? [];
  const canWrap = direct.some(
    (a) => a.startsWith('kms:GenerateDataKey') || a === 'kms:Encrypt' || a === 'kms:ReEncryptTo',
  );
  const canUnwrap = direct.some((a) => a === 'kms:Decrypt' || a === 'kms:ReEncryptFrom');
  expect(canWrap, `${route.operationId} may wrap with the vault key`).toBe(keys.includes('vault:encrypt'));
  expect(canUnwrap, `${route.operationId} may unwrap with the vault key`).toBe(
    keys.includes('vault:decrypt'),
  );
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
  }, 180_000);

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
    // The vault key's policy admits no AWS service: only IAM policies in this account can use it.
    expect(JSON.stringify(synth.resource(stack.keys.vault).Properties.KeyPolicy)).not.toContain('Service');
  });

  it('deploys one Lambda function per non-local route: Node 24, arm64, traced, DLQ, own log group', () => {
    const functions = synth.allResources().filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(deployed.length);
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
    expect(logGroups.length).toBeGreaterThan(deployed.length);
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
      expect(readFileSync(bundle, 'utf8').slice(0, 200)).toContain('createRequire');
      sizes.push(`${route.operationId} ${Math.round(statSync(bundle).size / 1024)} KB`);
    }
    console.log(`bundles: ${sizes.join(', ')}`);
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
      // The integration URI takes the function ARN from the capability stack's output.
      const nested = Stack.of(fn) as NestedStack;
      const outputs = synth.template(nested).toJSON().Outputs as Record<string, { Value: unknown }>;
      const output = Object.entries(outputs).find(([, o]) => mentions(o.Value, synth.id(fn)))?.[0];
      expect(output, route.operationId).toBeDefined();
      expect(JSON.stringify(props.Integration)).toContain(`Outputs.${output}`);
    }
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
      MethodSettings: [
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
      ],
    });
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
    const models = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Model');
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
    for (const fn of stack.api.functions.values()) {
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
    expect(
      alarms.some((a) => a.Namespace === 'AWS/SQS' && a.MetricName === 'ApproximateNumberOfMessagesVisible'),
    ).toBe(true);
    expect(alarms).toHaveLength(deployed.length * 2 + 2);
  });

  it('grants each function only what its route access lists', () => {
    const mainTable = `:table/tessera-dev-${MAIN_TABLE.logicalName}`;
    const writes = [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ];
    for (const route of deployed) {
      const fn = stack.api.functions.get(route.operationId) ?? never();
      const statements = synth.statementsOf(fn);
      const actions = statements.flatMap((s) => asArray(s.Action));
      if (!route.access.main && !route.access.vault) {
        expect(
          actions.filter((a) => a.startsWith('dynamodb:')),
          route.operationId,
        ).toEqual([]);
      }
      if (route.access.main === 'read') {
        const onMain = statements
          .filter((s) => JSON.stringify(s.Resource ?? null).includes(mainTable))
          .flatMap((s) => asArray(s.Action));
        expect(onMain).toContain('dynamodb:GetItem');
        for (const write of writes) expect(onMain, route.operationId).not.toContain(write);
      }
      if (!route.access.notify) {
        expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('ses:'))).toEqual([]);
      }
      assertVaultIsolation(synth, route, statements);
    }
  });

  it('has wildcards only where an acknowledgement explains them (IAM5)', () => {
    assertAcknowledgedWildcards(synth);
  });

  it('stays well inside the CloudFormation limit of 500 resources in every stack', () => {
    // Functions sit in one nested stack per capability; past this budget, split the capability.
    const counts = synth.stacks().map((s) => [s.node.id, Object.keys(synth.resources(s)).length] as const);
    console.log(`resources per stack: ${counts.map(([id, n]) => `${id} ${n}`).join(', ')}`);
    for (const [id, count] of counts) expect(count, id).toBeLessThan(400);
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
  let stack: TesseraStack;
  let synth: Synthesized;
  let app: App;
  const fn = (id: string) => stack.api.functions.get(id) ?? never();

  beforeAll(() => {
    app = new App({ context: CONTEXT, outdir: newOutdir() });
    stack = new TesseraStack(app, 'Tessera-dev', { stage: 'dev', routes: synthetic });
    app.synth();
    synth = new Synthesized(stack);
  }, 180_000);

  it('skips local-only routes', () => {
    expect([...stack.api.functions.keys()]).toEqual(['tokenizeCard', 'detokenizeCard', 'verifyTwoFactor']);
  });

  it('grants keys, secrets and notifications exactly as listed', () => {
    // Direct key use: statements not bound to DynamoDB's use of a table key.
    const keyActions = (id: string, key: IConstruct) =>
      synth
        .statementsOf(fn(id))
        .filter((s) => mentions(s.Resource, synth.id(key)) && !viaDynamoDb(s))
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
    const viaSecretsManager = synth
      .statementsOf(fn('verifyTwoFactor'))
      .filter((s) => mentions(s.Resource, synth.id(stack.keys.data)) && !viaDynamoDb(s));
    expect(viaSecretsManager).toHaveLength(1);
    expect(JSON.stringify(viaSecretsManager[0]?.Condition)).toContain('"kms:ViaService"');
    expect(JSON.stringify(viaSecretsManager[0]?.Condition)).toContain('secretsmanager.');

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

    for (const route of synthetic.filter((r) => !r.localOnly)) {
      assertVaultIsolation(synth, route, synth.statementsOf(fn(route.operationId)));
    }
  });

  it('runs exactly the vault functions in the isolated vault subnets', () => {
    const sg = synth.id(stack.vaultNetwork?.functionSecurityGroup ?? never());
    for (const route of synthetic.filter((r) => !r.localOnly)) {
      const vpcConfig = synth.resource(fn(route.operationId)).Properties.VpcConfig;
      expect(vpcConfig !== undefined, route.operationId).toBe(inCde(route));
      if (inCde(route)) expect(mentions(vpcConfig, sg)).toBe(true);
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
