/**
 * Issue 15: the security baseline, alarms that reach someone, throttling, the card-data environment
 * controls and the processor wiring, asserted on synthesized templates of both stages. Bundling is
 * skipped here (stack.test.ts bundles and checks the real code); cdk-nag runs on every synth.
 */
import { type App, NestedStack, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_KEY_REFUSED } from '../../functions/lib/errors.ts';
import { METRIC_NAMES } from '../../functions/lib/metrics.ts';
import { VAULT_TABLE } from '../../functions/lib/tables.ts';
import { inCde } from '../../infra/constructs/access.ts';
import { isSensitiveRoute, REDACTED_HEADERS } from '../../infra/constructs/api.ts';
import { CONFIG_RULES } from '../../infra/constructs/security-baseline.ts';
import { queueConsumers } from '../../infra/jobs.ts';
import { routes } from '../../infra/routes/index.ts';
import type { TesseraStack } from '../../infra/stack.ts';
import { offlineSynth } from '../support/synth.ts';

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
}

/** Builds and synthesizes (cdk-nag runs: an unacknowledged error throws), without bundling. */
const { build, cleanup } = offlineSynth('tessera-sec-');
afterAll(cleanup);

const templateCache = new Map<Stack, Template>();
const template = (stack: Stack) => {
  let found = templateCache.get(stack);
  if (!found) {
    found = Template.fromStack(stack);
    templateCache.set(stack, found);
  }
  return found;
};
const stacksOf = (root: TesseraStack): Stack[] => [
  root,
  ...root.node.findAll().filter((c): c is NestedStack => NestedStack.isNestedStack(c)),
];
const resourcesOf = (stack: Stack) => template(stack).toJSON().Resources as Record<string, Resource>;
const allResources = (root: TesseraStack) =>
  stacksOf(root).flatMap((stack) => Object.values(resourcesOf(stack)).map((r) => [stack, r] as const));
const ofType = (root: TesseraStack, type: string) => allResources(root).filter(([, r]) => r.Type === type);
const logicalId = (construct: IConstruct) => {
  const element = (construct.node.defaultChild ?? construct) as IConstruct;
  return Stack.of(element).getLogicalId(element as never);
};
/** A route's method (it lives in its capability's nested stack, ADR 0025); throws when missing. */
const methodProps = (root: TesseraStack, operationId: string): Json => {
  const method = root.api.methods.get(operationId);
  const props = method && resourcesOf(Stack.of(method))[logicalId(method)]?.Properties;
  if (!props) throw new Error(`no method for ${operationId}`);
  return props;
};
const json = (value: unknown) => JSON.stringify(value);
const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function nagFindings(packs: NagPack[], app: App): string[] {
  return packs
    .flatMap((p) => p.validateScope(app).violations)
    .flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`));
}

/** Every acknowledgement in the app: rule id -> the reasons given for it. */
function acknowledgements(app: App): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(id, [...(found.get(id) ?? []), reason]);
      }
    }
  }
  return found;
}

describe('prod: security baseline on by default', () => {
  let app: App;
  let stack: TesseraStack;
  let packs: NagPack[];

  beforeAll(() => {
    ({ app, stack, packs } = build('prod'));
  }, 300_000);

  it('has zero cdk-nag findings (errors and warnings), each acknowledgement with a written reason', () => {
    expect(nagFindings(packs, app)).toEqual([]);
    const acks = acknowledgements(app);
    const summary: string[] = [];
    for (const [id, reasons] of acks) {
      for (const reason of reasons) expect(reason.length, id).toBeGreaterThan(40);
      summary.push(`${id} x${reasons.length}`);
    }
    console.log(`acknowledgements (${acks.size} rules): ${summary.sort().join('; ')}`);
    // No acknowledgement may assume an audit trail the stack does not say where it comes from.
    for (const reasons of acks.values()) {
      for (const reason of reasons) {
        if (/CloudTrail/.test(reason)) expect(reason).toMatch(/security baseline/);
      }
    }
  });

  it('prints the resource count of each stack', () => {
    const counts = stacksOf(stack).map((s) => `${s.node.id} ${Object.keys(resourcesOf(s)).length}`);
    console.log(`prod resources: ${counts.join(', ')}`);
    expect(stack.securityBaseline).toBeDefined();
  });

  it('writes a multi-region, validated, KMS-encrypted trail with the vault data events', () => {
    const baseline = stack.securityBaseline ?? never();
    const t = template(baseline);
    const trail = Object.values(resourcesOf(baseline)).find((r) => r.Type === 'AWS::CloudTrail::Trail');
    const props = trail?.Properties ?? {};
    expect(props).toMatchObject({
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      IsLogging: true,
    });
    expect(props.KMSKeyId).toEqual({ 'Fn::GetAtt': [logicalId(baseline.auditKey), 'Arn'] });
    expect(props.CloudWatchLogsLogGroupArn).toBeDefined();
    expect(props.EventSelectors).toBeUndefined();
    const selectors = props.AdvancedEventSelectors as Array<{ FieldSelectors: Json[] }>;
    // All management events: no eventSource exclusion, so KMS (the vault key's use) is logged.
    const management = selectors.find((s) => json(s).includes('"Management"'));
    expect(management?.FieldSelectors).toEqual([{ Field: 'eventCategory', Equals: ['Management'] }]);
    // The vault table's item-level events, by its ARN (a parent parameter inside the nested stack).
    const data = selectors.find((s) => json(s).includes('AWS::DynamoDB::Table'));
    const arn = data?.FieldSelectors.find((f) => f.Field === 'resources.ARN')?.Equals as unknown[];
    expect(arn).toHaveLength(1);
    const parentParams = resourcesOf(stack)[logicalId(baseline.nestedStackResource ?? never())]?.Properties
      .Parameters as Json;
    const param = (arn[0] as { Ref: string }).Ref;
    expect(json(parentParams[param])).toContain(logicalId(stack.data.table(VAULT_TABLE)));
    expect(json(selectors)).toMatch(/"NetworkActivity".*"kms\.amazonaws\.com"/);

    // The bucket: KMS (audit key), versioned, object lock in compliance mode for a year, private.
    t.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(baseline.auditKey), 'Arn'] },
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('runs GuardDuty and routes its findings to the alarm topic', () => {
    const baseline = stack.securityBaseline ?? never();
    const t = template(baseline);
    t.hasResourceProperties('AWS::GuardDuty::Detector', { Enable: true });
    const rule = Object.values(resourcesOf(baseline)).find(
      (r) => r.Type === 'AWS::Events::Rule' && json(r.Properties.EventPattern).includes('aws.guardduty'),
    );
    expect(rule?.Properties.EventPattern).toMatchObject({ 'detail-type': ['GuardDuty Finding'] });
    const targets = rule?.Properties.Targets as Array<{ Arn: unknown; DeadLetterConfig?: unknown }>;
    expect(targets).toHaveLength(1);
    const parentParams = resourcesOf(stack)[logicalId(baseline.nestedStackResource ?? never())]?.Properties
      .Parameters as Json;
    const topicParam = ((targets[0] ?? never()).Arn as { Ref: string }).Ref;
    expect(parentParams[topicParam]).toEqual({ Ref: logicalId(stack.monitoring.topic) });
    expect(targets[0]?.DeadLetterConfig).toBeDefined();
  });

  it('records configuration with AWS Config and checks it with the managed rules', () => {
    const baseline = stack.securityBaseline ?? never();
    const t = template(baseline);
    t.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
      RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: true },
    });
    const recorder = Object.values(resourcesOf(baseline)).find(
      (r) => r.Type === 'AWS::Config::ConfigurationRecorder',
    );
    expect(json(recorder?.Properties.RoleARN)).toContain(
      ':role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig',
    );
    t.hasResourceProperties('AWS::Config::DeliveryChannel', { S3KeyPrefix: 'config' });
    const identifiers = Object.values(resourcesOf(baseline))
      .filter((r) => r.Type === 'AWS::Config::ConfigRule')
      .map((r) => r.Properties.Source as { Owner: string; SourceIdentifier: string })
      .map((source) => `${source.Owner}:${source.SourceIdentifier}`);
    expect(identifiers.sort()).toEqual(
      Object.keys(CONFIG_RULES)
        .map((id) => `AWS:${id}`)
        .sort(),
    );
    expect(identifiers).toContain('AWS:CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED');
  });

  it('enables Security Hub with the PCI DSS v4.0.1 standard', () => {
    const baseline = stack.securityBaseline ?? never();
    template(baseline).resourceCountIs('AWS::SecurityHub::Hub', 1);
    const standard = Object.values(resourcesOf(baseline)).find(
      (r) => r.Type === 'AWS::SecurityHub::Standard',
    );
    expect(json(standard?.Properties.StandardsArn)).toContain('::standards/pci-dss/v/4.0.1');
  });

  it('limits CreateGrant to AWS services on every key, the audit key included', () => {
    const keys = ofType(stack, 'AWS::KMS::Key');
    expect(keys.length).toBe(5);
    for (const [, key] of keys) {
      const statements = (key.Properties.KeyPolicy as { Statement: Json[] }).Statement;
      expect(statements, json(key.Properties.Description)).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'kms:CreateGrant',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'kms:GrantIsForAWSResource': 'false' } },
        }),
      );
    }
  });

  it('reserves concurrency for the card-data and collection functions', () => {
    const all = [
      ...routes
        .filter((r) => !r.localOnly)
        .map((r) => ({ access: r.access, fn: stack.api.functions.get(r.operationId) })),
      ...[...stack.jobs.functions.values()].map((fn) => ({ access: undefined, fn })),
    ];
    for (const { access, fn } of all) {
      const props = resourcesOf(Stack.of(fn ?? never()))[logicalId(fn ?? never())]?.Properties ?? {};
      if (access && inCde(access)) expect(props.ReservedConcurrentExecutions, fn?.node.id).toBe(50);
      if (access && !inCde(access)) expect(props.ReservedConcurrentExecutions, fn?.node.id).toBeUndefined();
    }
    for (const consumer of queueConsumers) {
      const fn = stack.collection.functions.get(consumer.name) ?? never();
      const props = resourcesOf(Stack.of(fn))[logicalId(fn)]?.Properties ?? {};
      const cde = inCde(consumer.access) ? 50 : 0;
      expect(props.ReservedConcurrentExecutions, consumer.name).toBe(Math.max(consumer.maxConcurrency, cde));
      expect(json(props.Environment)).toContain('"CARD_PROCESSOR":"stripe"');
    }
  });
});

describe('dev: the baseline is opt-in, the rest always on', () => {
  let app: App;
  let stack: TesseraStack;
  let packs: NagPack[];

  beforeAll(() => {
    // cdk.json leaves merchant API keys on (the stack's default) since onboarding issues them.
    ({ app, stack, packs } = build('dev'));
  }, 300_000);

  it('has no baseline by default, zero cdk-nag findings, and prints its resource count', () => {
    expect(stack.securityBaseline).toBeUndefined();
    expect(stack.node.findAll().some((c) => c.node.id === 'SecurityBaseline')).toBe(false);
    expect(nagFindings(packs, app)).toEqual([]);
    const counts = stacksOf(stack).map((s) => `${s.node.id} ${Object.keys(resourcesOf(s)).length}`);
    console.log(`dev resources: ${counts.join(', ')}`);
  });

  it('subscribes the alarm topic from context, with a dead-letter queue', () => {
    const t = template(stack);
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@tessera.example',
      TopicArn: { Ref: logicalId(stack.monitoring.topic) },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.monitoring.deliveryDlq), 'Arn'] },
      },
    });
  });

  it('raises each security alarm to the topic', () => {
    const topic = { Ref: logicalId(stack.monitoring.topic) };
    const alarms = Object.values(resourcesOf(stack)).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    const byName = (name: string) => alarms.find((a) => a.Properties.AlarmName === `tessera-dev-${name}`);
    const expectations: Array<[string, string]> = [
      ['WafBlockedRate', '"MetricName":"BlockedRequests"'],
      ['Api4xxSurge', '"MetricName":"4XXError"'],
      ['SignInLockouts', '"MetricName":"SignInLocked"'],
      ['TwoFactorFailureBurst', '"MetricName":"TwoFactorFailed"'],
      ['DetokenizeFailures', '"MetricName":"DetokenizeFailed"'],
      ['RiskHighSeverityFlags', '"MetricName":"RiskFlagRaisedHigh"'],
      ['WebhookDeadDeliveries', '"MetricName":"WebhookDeliveryDead"'],
      ['AlarmDeliveryDlqDepth', '"MetricName":"ApproximateNumberOfMessagesVisible"'],
    ];
    for (const [name, metric] of expectations) {
      const alarm = byName(name);
      expect(alarm, name).toBeDefined();
      expect(json(alarm?.Properties), name).toContain(metric);
      expect(alarm?.Properties.AlarmActions, name).toEqual([topic]);
    }
    expect(json(byName('WafBlockedRate')?.Properties)).toContain('"Namespace":"AWS/WAFV2"');
    // The custom counters are in the namespace and dimensions lib/metrics.ts writes.
    expect(json(byName('SignInLockouts')?.Properties)).toContain('"Namespace":"Tessera"');
    expect(json(byName('SignInLockouts')?.Properties.Dimensions)).toContain('"Value":"dev"');
  });

  it('sends vault key and card-data role changes (CloudTrail via EventBridge) to the topic', () => {
    const rules = Object.values(resourcesOf(stack)).filter((r) => r.Type === 'AWS::Events::Rule');
    const key = rules.find((r) => r.Properties.Name === 'tessera-dev-card-data-key-changed');
    expect(key?.Properties.EventPattern).toMatchObject({
      source: ['aws.kms'],
      detail: { eventName: expect.arrayContaining(['PutKeyPolicy', 'ScheduleKeyDeletion', 'CreateGrant']) },
    });
    expect(json(key?.Properties.EventPattern)).toContain(logicalId(stack.keys.vault));
    const role = rules.find((r) => r.Properties.Name === 'tessera-dev-card-data-role-changed');
    expect(role?.Properties.EventPattern).toMatchObject({
      source: ['aws.iam'],
      detail: {
        eventName: expect.arrayContaining(['AttachRolePolicy', 'PutRolePolicy', 'UpdateAssumeRolePolicy']),
        requestParameters: { roleName: [{ prefix: 'tessera-dev-' }] },
      },
    });
    for (const rule of [key, role]) {
      expect(rule?.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { Ref: logicalId(stack.monitoring.topic) },
          DeadLetterConfig: expect.anything(),
        }),
      ]);
    }
  });

  it('draws the dashboard: checkout funnel, collection results, security events', () => {
    const dashboard = Object.values(resourcesOf(stack)).find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    const body = json(dashboard?.Properties.DashboardBody);
    for (const title of ['Checkout funnel', 'Collection results', 'Security events'])
      expect(body).toContain(title);
    for (const metric of METRIC_NAMES) expect(body, metric).toContain(metric);
    expect(body).toContain('/v1/checkout-sessions');
  });

  it('requires a usage-plan API key on merchant methods only, with a per-merchant plan', () => {
    const t = template(stack);
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
    for (const route of routes.filter((r) => !r.localOnly)) {
      const props = methodProps(stack, route.operationId);
      expect(props.ApiKeyRequired ?? false, route.operationId).toBe(route.auth === 'merchant');
    }
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'tessera-dev-merchant',
      Throttle: { RateLimit: 20, BurstLimit: 40 },
      Quota: { Limit: 50_000, Period: 'DAY' },
    });
  });

  it('lets exactly onboarding and rotation issue usage keys onto the merchant plan (IAM, env)', () => {
    const issuers = routes.filter((r) => !r.localOnly && r.access.usagePlanKeys).map((r) => r.operationId);
    expect(issuers.sort()).toEqual(['createMerchant', 'rotateMerchantKey']);
    const policies = ofType(stack, 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
      json(p.Properties.PolicyDocument).includes('apigateway:'),
    );
    expect(policies).toHaveLength(1);
    const [owner, policy] = policies[0] ?? never();
    // Beside the plan, in the parent: the functions' stacks cannot reference the plan (ADR 0025).
    expect(owner).toBe(stack);
    const arn = (path: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, `::${path}`],
      ],
    });
    const plan = { Ref: logicalId(stack.api.merchantUsagePlan) };
    const statements = (policy.Properties.PolicyDocument as { Statement: Json[] }).Statement;
    expect(statements).toEqual([
      expect.objectContaining({ Action: ['apigateway:GET', 'apigateway:POST'], Resource: arn('/apikeys') }),
      expect.objectContaining({ Action: 'apigateway:GET', Resource: arn('/usageplans') }),
      expect.objectContaining({
        Action: 'apigateway:POST',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':apigateway:',
              { Ref: 'AWS::Region' },
              '::/usageplans/',
              plan,
              '/keys',
            ],
          ],
        },
      }),
      expect.objectContaining({ Action: 'apigateway:DELETE', Resource: arn('/apikeys/*') }),
    ]);
    for (const s of statements) expect(s.Effect).toBe('Allow');
    // Attached to exactly the two issuers' roles; only they know the plan's name.
    expect(asArray(policy.Properties.Roles as unknown[])).toHaveLength(2);
    const roles = json(policy.Properties.Roles);
    for (const route of routes.filter((r) => !r.localOnly)) {
      const fn = stack.api.functions.get(route.operationId) ?? never();
      const env = json(resourcesOf(Stack.of(fn))[logicalId(fn)]?.Properties.Environment);
      const issuer = issuers.includes(route.operationId);
      expect(env.includes('"MERCHANT_USAGE_PLAN_NAME":"tessera-dev-merchant"'), route.operationId).toBe(
        issuer,
      );
      expect(roles.includes(`Functions${fn.executionRole.node.id}`), route.operationId).toBe(issuer);
    }
  });

  it("answers a missing or revoked usage key in the API's error envelope (403 usage_key_invalid)", () => {
    template(stack).hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INVALID_API_KEY',
      StatusCode: '403',
      ResponseTemplates: {
        'application/json': `{"error":{"type":"permission_error","code":"usage_key_invalid","message":${json(USAGE_KEY_REFUSED)},"requestId":"$context.requestId"}}`,
      },
    });
  });

  it('throttles sign-in, registration and code-sending routes harder, at the gateway and in WAF', () => {
    const sensitive = routes.filter((r) => !r.localOnly && isSensitiveRoute(r));
    expect(sensitive.map((r) => r.operationId)).toEqual(
      expect.arrayContaining(['registerCustomer', 'createSession', 'createMfaSession', 'startStepUp']),
    );
    const stage = Object.values(resourcesOf(stack)).find((r) => r.Type === 'AWS::ApiGateway::Stage');
    const settings = stage?.Properties.MethodSettings as Json[];
    for (const route of sensitive) {
      expect(settings, route.operationId).toContainEqual(
        expect.objectContaining({
          HttpMethod: route.method,
          ResourcePath: `/${route.path.replaceAll('/', '~1')}`,
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
        }),
      );
    }
    expect(settings).toContainEqual(expect.objectContaining({ ResourcePath: '/*', ThrottlingRateLimit: 50 }));
    const acl = Object.values(resourcesOf(stack)).find((r) => r.Type === 'AWS::WAFv2::WebACL');
    const rule = ((acl ?? never()).Properties.Rules as Json[]).find((r) => r.Name === 'SensitiveRatePerIp');
    expect(json(rule)).toContain('"Limit":100');
    for (const route of sensitive)
      expect(json(rule)).toContain(`"SearchString":"${route.path.split('{')[0]}"`);
  });

  it('redacts credentials and the Step-Up-Token header in WAF logs', () => {
    expect(REDACTED_HEADERS).toContain('step-up-token');
    template(stack).hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: REDACTED_HEADERS.map((name) => ({ SingleHeader: { Name: name } })),
    });
  });

  it('logs and filters the vault VPC DNS, with a policy on every interface endpoint', () => {
    const t = template(stack);
    const vpc = logicalId(stack.vaultNetwork?.vpc ?? never());
    t.hasResourceProperties('AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation', {
      ResourceId: { Ref: vpc },
    });
    t.hasResourceProperties('AWS::Route53Resolver::FirewallRuleGroupAssociation', {
      VpcId: { Ref: vpc },
      MutationProtection: 'ENABLED',
    });
    const group = Object.values(resourcesOf(stack)).find(
      (r) => r.Type === 'AWS::Route53Resolver::FirewallRuleGroup',
    );
    const rules = group?.Properties.FirewallRules as Json[];
    expect(rules.map((r) => r.Action)).toEqual(['ALLOW', 'BLOCK']);
    const lists = Object.values(resourcesOf(stack)).filter(
      (r) => r.Type === 'AWS::Route53Resolver::FirewallDomainList',
    );
    expect(lists.map((l) => json(l.Properties.Domains))).toContainEqual('["*"]');

    const endpoints = Object.values(resourcesOf(stack)).filter(
      (r) => r.Type === 'AWS::EC2::VPCEndpoint' && r.Properties.VpcEndpointType === 'Interface',
    );
    expect(endpoints.length).toBeGreaterThanOrEqual(3);
    for (const endpoint of endpoints) {
      const statements = (endpoint.Properties.PolicyDocument as { Statement: Json[] } | undefined)?.Statement;
      expect(statements?.length, json(endpoint.Properties.ServiceName)).toBeGreaterThan(0);
      for (const statement of statements ?? []) {
        expect(statement.Condition).toEqual({
          StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } },
        });
      }
    }
  });

  it('encrypts every dead-letter queue with the ops key, and lets senders use it through SQS only', () => {
    const dlqs = ofType(stack, 'AWS::SQS::Queue').filter(([, q]) =>
      json(q.Properties.QueueName).includes('-dlq'),
    );
    expect(dlqs.length).toBeGreaterThanOrEqual(4);
    for (const [owner, queue] of dlqs) {
      expect(queue.Properties.SqsManagedSseEnabled, json(queue.Properties.QueueName)).toBeUndefined();
      if (owner === stack) {
        expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId(stack.keys.ops), 'Arn'] });
      } else expect(queue.Properties.KmsMasterKeyId).toBeDefined();
    }
    const fn = stack.api.functions.get('getHealth') ?? never();
    const policy = resourcesOf(Stack.of(fn))[logicalId(fn.executionRole.policy)]?.Properties
      .PolicyDocument as {
      Statement: Json[];
    };
    const queueKey = policy.Statement.find((s) => json(s.Condition ?? null).includes('sqs.'));
    expect(asArray(queueKey?.Action as string[]).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('runs the sandbox processor in dev, and can turn the baseline on', () => {
    const fn = stack.api.functions.get('getHealth') ?? never();
    const env = resourcesOf(Stack.of(fn))[logicalId(fn)]?.Properties.Environment;
    expect(json(env)).toContain('"CARD_PROCESSOR":"sandbox"');
    const on = build('dev', {
      securityBaseline: 'true',
      merchantApiKeys: 'false',
      alarmSubscribers: 'https://pager.example/hook',
    });
    expect(on.stack.securityBaseline).toBeDefined();
    // Dev keeps a month of governance-mode lock, not prod's year of compliance mode.
    template(on.stack.securityBaseline ?? never()).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
      },
    });
    template(on.stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://pager.example/hook',
    });
    expect(methodProps(on.stack, 'createOrder').ApiKeyRequired ?? false).toBe(false);
    // Keys off: nobody may issue them, and no function is told the plan's name.
    expect(
      ofType(on.stack, 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
        json(p.Properties).includes('apigateway:'),
      ),
    ).toEqual([]);
    const onboarding = on.stack.api.functions.get('createMerchant') ?? never();
    expect(json(resourcesOf(Stack.of(onboarding))[logicalId(onboarding)]?.Properties)).not.toContain(
      'MERCHANT_USAGE_PLAN_NAME',
    );
    expect(nagFindings(on.packs, on.app)).toEqual([]);
  }, 300_000);

  it('refuses an alarm subscriber that is neither an email nor an https URL', () => {
    expect(() => build('dev', { alarmSubscribers: 'http://insecure.example' })).toThrow(/neither an email/);
    expect(() => build('dev', { alarmSubscribers: '' })).toThrow(/no alarm subscriber/);
  });
});

function never(): never {
  throw new Error('unreachable');
}
