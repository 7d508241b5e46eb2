import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  AwsIntegration,
  CfnAccount,
  type CfnRestApi,
  EndpointType,
  type JsonSchema,
  LogGroupLogDestination,
  Method,
  MethodLoggingLevel,
  Model,
  Period,
  type RequestValidator,
  ResponseType,
  RestApi,
  SecurityPolicy,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { ErrorCode } from '../../functions/lib/error-codes.ts';
import { USAGE_KEY_REFUSED } from '../../functions/lib/errors.ts';
import type { Route, RouteAuth } from '../routes/index.ts';
import { type AccessContext, accessFunction, type FunctionStack, functionStack, pascal } from './access.ts';
import type { TesseraFunction } from './function.ts';
import { LeastPrivilegeRole } from './iam.ts';
import { MerchantKeyIssuers } from './merchant-keys.ts';

export interface ApiLimits {
  /** Stage-wide steady-state requests per second and burst (every method). */
  rateLimit: number;
  burstLimit: number;
  /** Usage plan quota per day. */
  dailyQuota: number;
  /** WAF: requests per source IP per 5 minutes before the IP is blocked for a while. */
  wafRequestsPerIpPer5Min: number;
  /**
   * Sign-in, registration and every route that sends a code (`isSensitiveRoute`): stage-wide
   * requests per second and burst for each such method, and WAF requests per source IP per 5 min.
   */
  sensitive: { rateLimit: number; burstLimit: number; wafRequestsPerIpPer5Min: number };
  /** Each merchant's own limits: its API key's usage plan (throttle and quota apply per key). */
  merchant: { rateLimit: number; burstLimit: number; dailyQuota: number };
}

/**
 * Routes an attacker drives without credentials or to make Tessera send messages: public writes
 * (registration, sign-in, its 2FA step) and every route that sends a code (`access.notify`). They
 * get their own, tighter gateway throttle and WAF rate rule: credential stuffing and SMS pumping
 * fraud (OWASP API4:2023, unrestricted resource consumption).
 */
export const isSensitiveRoute = (route: Route): boolean =>
  (route.auth === 'public' && route.method !== 'GET') || route.access.notify === true;

export interface ApiProps extends AccessContext {
  routes: readonly Route[];
  /** Receives the route functions' failed asynchronous invocations. */
  deadLetterQueue: IQueue;
  limits: ApiLimits;
  /**
   * Merchant methods need an API Gateway API key (`x-api-key`), issued at merchant onboarding and
   * attached to the merchant usage plan, so each merchant has its own throttle and quota.
   */
  merchantApiKeys: boolean;
}

/** Why a non-operator method has no API Gateway authorizer (AwsSolutions-APIG4). */
const NO_GATEWAY_AUTHORIZER: Record<Exclude<RouteAuth, 'operator'>, string> = {
  public:
    'Public by design: it serves no tenant data and no secrets. WAF, stage throttling and request ' +
    'validation still apply.',
  merchant:
    "Merchants authenticate with a secret API key that the handler hashes (SHA-256) and looks up with the merchant's " +
    'status on every request, so a rotated key or a suspension takes effect at once; an API Gateway authorizer ' +
    'would duplicate that lookup and its result cache would keep a suspended merchant in for the cache TTL.',
  customer:
    'Customers authenticate with a short-lived signed session token (jose) that the handler verifies, together ' +
    'with step-up tokens bound to the action, amount and payee in the request body; an API Gateway authorizer ' +
    'cannot see the body, so it could not enforce that binding.',
};

/** Why no method uses a Cognito user pool authorizer (AwsSolutions-COG4). */
const NO_COGNITO: Record<RouteAuth, string> = {
  public: 'Public route: there is no caller identity to check, by design.',
  merchant:
    'Tessera has no Cognito user pool: merchants are machines authenticating with secret API keys, verified ' +
    'in the handler against their stored SHA-256 hash.',
  customer:
    'Tessera has no Cognito user pool: customers use Tessera sessions (scrypt/argon2id passwords, TOTP 2FA, ' +
    'step-up tokens), verified in the handler.',
  operator:
    'Operator routes use AWS_IAM (SigV4): operators are IAM principals with their own MFA, and every call is ' +
    "recorded by CloudTrail (the security baseline's trail, or the account's own where the baseline is off: " +
    'docs/runbook.md); a Cognito pool would be a second operator identity store to secure.',
};

/**
 * The public REST API (API Gateway v1), built from `infra/routes/`: one function per route, with
 * exactly the data, key, secret and notification rights its `access` field lists. Around it: WAF,
 * TLS 1.2+ with forward secrecy, JSON access logs, X-Ray, request validation, throttling, a usage
 * plan, and the error envelope of the API conventions for everything the gateway itself rejects.
 */
export class Api extends Construct {
  readonly api: RestApi;
  readonly webAcl: CfnWebACL;
  /** By operationId, in route order. */
  readonly functions: ReadonlyMap<string, TesseraFunction>;
  readonly methods: ReadonlyMap<string, Method>;
  /** Every merchant's API key joins this plan at onboarding (its id: `MERCHANT_USAGE_PLAN_ID`). */
  readonly merchantUsagePlan: UsagePlan;
  /** One nested stack of functions per capability (`functions/<capability>/…`). */
  readonly capabilityStacks = new Map<string, CapabilityStack>();

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { stage } = props;
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: `/tessera/${stage}/api-access`,
      retention: props.logRetention,
      encryptionKey: props.keys.ops,
      removalPolicy: props.logRemovalPolicy,
    });

    const deployed = props.routes.filter((route) => !route.localOnly);
    this.api = new RestApi(this, 'RestApi', {
      restApiName: `tessera-${stage}`,
      // Usage-plan keys come in the x-api-key header; authentication stays the merchant secret key.
      apiKeySourceType: ApiKeySourceType.HEADER,
      description: `Tessera ${stage}: BNPL payments API`,
      endpointTypes: [EndpointType.REGIONAL],
      // The account-level logging role is ours (below): CDK's would carry an AWS-managed policy.
      cloudWatchRole: false,
      deployOptions: {
        stageName: stage,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs carry errors only, and never bodies: a request body can hold a card number.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.limits.rateLimit,
        throttlingBurstLimit: props.limits.burstLimit,
        // Responses are per tenant and per credential: never cached (see the acknowledgement below).
        cachingEnabled: false,
        methodOptions: Object.fromEntries(
          deployed.filter(isSensitiveRoute).map((route) => [
            `${route.path}/${route.method}`,
            {
              throttlingRateLimit: props.limits.sensitive.rateLimit,
              throttlingBurstLimit: props.limits.sensitive.burstLimit,
              // A method's own settings replace the stage's: repeat logging, metrics and no cache.
              loggingLevel: MethodLoggingLevel.ERROR,
              dataTraceEnabled: false,
              metricsEnabled: true,
              cachingEnabled: false,
            },
          ]),
        ),
      },
    });
    // TLS 1.2+ with forward secrecy on the default endpoint; STRICT also rejects requests whose SNI
    // does not match this API (domain fronting). The L2 has no prop for it yet.
    const cfnApi = this.api.node.defaultChild as CfnRestApi;
    cfnApi.securityPolicy = SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09;
    cfnApi.endpointAccessMode = 'STRICT';

    this.addLoggingRole();
    this.addGatewayResponses();

    const validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: `tessera-${stage}-validator`,
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const merchantPlanName = `tessera-${stage}-merchant`;
    this.merchantUsagePlan = this.api.addUsagePlan('MerchantUsagePlan', {
      name: merchantPlanName,
      description:
        "Per merchant: each merchant's API key (issued at onboarding) gets this throttle and quota for itself.",
      throttle: { rateLimit: props.limits.merchant.rateLimit, burstLimit: props.limits.merchant.burstLimit },
      quota: { limit: props.limits.merchant.dailyQuota, period: Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });

    // Created before the routes: the onboarding and rotation functions get its grant.
    const keyIssuers = props.merchantApiKeys
      ? new MerchantKeyIssuers(this, 'MerchantKeyIssuers', {
          plan: this.merchantUsagePlan,
          planName: merchantPlanName,
        })
      : undefined;

    const functions = new Map<string, TesseraFunction>();
    const methods = new Map<string, Method>();
    for (const route of props.routes) {
      if (route.localOnly) continue;
      if (functions.has(route.operationId)) throw new Error(`Duplicate operationId "${route.operationId}"`);
      const fn = this.addRouteFunction(route, props);
      if (route.access.usagePlanKeys) keyIssuers?.grant(fn);
      functions.set(route.operationId, fn);
      methods.set(route.operationId, this.addRouteMethod(route, fn, validator, props));
    }
    this.functions = functions;
    this.methods = methods;

    const stageAcks = this.api.deploymentStage;
    Validations.of(stageAcks).acknowledge(
      {
        id: 'PCI.DSS.321-APIGWCacheEnabledAndEncrypted',
        reason:
          'Caching is deliberately off: responses are per tenant and per credential (merchant API key, customer ' +
          "session), so a stage cache keyed by path would serve one tenant's data to another, and payment state " +
          'must never be stale. With no cache there is no cached data to encrypt.',
      },
      {
        id: 'PCI.DSS.321-APIGWSSLEnabled',
        reason:
          'The rule asks for a client certificate that API Gateway presents to an HTTP backend. Every integration ' +
          'here is a Lambda proxy invoked through IAM (lambda:InvokeFunction scoped to this API and method), so ' +
          'there is no HTTP backend to authenticate to. Client-facing TLS 1.2+ is enforced by the API security ' +
          'policy; a custom domain (and its certificate) is out of scope for now.',
      },
    );

    this.webAcl = this.addWaf(props);
  }

  /**
   * Functions, with their methods, body models and invoke permissions, live in one nested stack
   * per capability, so the parent stays far below CloudFormation's 500-resource limit however many
   * routes are added (each route costs its capability about eleven resources: function, role,
   * policy, log group, alarms, method, model, permission; and the parent only its new path segments).
   */
  private capabilityStack(route: Route, props: ApiProps): CapabilityStack {
    const capability = /^functions\/([^/]+)\//.exec(route.entry)?.[1];
    if (!capability) throw new Error(`${route.operationId}: entry must be functions/<capability>/…`);
    let found = this.capabilityStacks.get(capability);
    if (!found) {
      found = functionStack(
        this,
        `${pascal(capability)}Functions`,
        `Tessera ${props.stage}: ${capability} functions`,
        props.stage,
      );
      this.capabilityStacks.set(capability, found);
    }
    return found;
  }

  private addRouteFunction(route: Route, props: ApiProps): TesseraFunction {
    return accessFunction(
      this.capabilityStack(route, props),
      route.operationId,
      {
        entry: route.entry,
        handler: route.handler,
        description: `${route.method} ${route.path}: ${route.summary}`,
        access: route.access,
        deadLetterQueue: props.deadLetterQueue,
      },
      props,
    );
  }

  /**
   * The route's method, its body model and the permission that lets this API's stage invoke the
   * function, all in the function's capability stack (docs/adr/0025-api-resources-per-capability.md):
   * the parent keeps the REST API and its path resources only, so a route costs the parent at most
   * its new path segments. The permission names the stage by its literal name: a reference to the
   * Stage would make the capability stack depend on the deployment, which depends on its methods.
   */
  private addRouteMethod(
    route: Route,
    fn: TesseraFunction,
    validator: RequestValidator,
    props: ApiProps,
  ): Method {
    const home = this.capabilityStack(route, props).stack;
    const resource = this.api.root.resourceForPath(route.path);
    const requestParameters: Record<string, boolean> = {};
    for (const match of route.path.matchAll(/\{([^}]+)\}/g)) {
      requestParameters[`method.request.path.${match[1]}`] = true;
    }
    const requestModels: Record<string, Model> = {};
    if (route.request?.body) {
      requestModels['application/json'] = new Model(home, `${route.operationId}Body`, {
        restApi: this.api,
        modelName: `${route.operationId}Body`,
        contentType: 'application/json',
        schema: toGatewaySchema(route.request.body),
      });
    }
    const method = new Method(home, `${route.operationId}Method`, {
      resource,
      httpMethod: route.method,
      // LambdaIntegration's own permission would reference the Stage (a cycle through the deployment).
      integration: new AwsIntegration({
        proxy: true,
        service: 'lambda',
        path: `2015-03-31/functions/${fn.functionArn}/invocations`,
      }),
      options: {
        operationName: route.operationId,
        authorizationType: route.auth === 'operator' ? AuthorizationType.IAM : AuthorizationType.NONE,
        apiKeyRequired: props.merchantApiKeys && route.auth === 'merchant',
        requestValidator: validator,
        requestParameters,
        requestModels,
      },
    });
    // The deployed stage only (no console test invocations), this method and path only.
    fn.addPermission(`ApiPermission${route.operationId}`, {
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: this.api.arnForExecuteApi(route.method, route.path.replace(/\{[^}]+\}/g, '*'), props.stage),
    });
    if (route.auth !== 'operator') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: `${route.auth} route (${route.operationId}): ${NO_GATEWAY_AUTHORIZER[route.auth]}`,
      });
    }
    Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: NO_COGNITO[route.auth] });
    return method;
  }

  /**
   * API Gateway writes execution and access logs through one account-wide role (per region). Ours
   * has a customer-managed policy limited to API Gateway execution log groups and Tessera access log
   * groups (`/tessera/<stage>/…`), so it also serves another stage deployed in the same account.
   */
  private addLoggingRole(): void {
    const role = new LeastPrivilegeRole(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway account role: writes execution and access logs',
    });
    const logGroups = (name: string) =>
      Stack.of(this).formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const groups = [logGroups('API-Gateway-Execution-Logs_*'), logGroups('/tessera/*')];
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteApiLogs',
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [...groups, ...groups.map((group) => `${group}:log-stream:*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'FindLogGroups',
        actions: ['logs:DescribeLogGroups'],
        resources: [logGroups('*')],
      }),
    );
    const reason = (what: string) =>
      `API Gateway names ${what} itself, so the account logging role can only be scoped by name prefix ` +
      '(execution logs: API-Gateway-Execution-Logs_<apiId>/<stage>; Tessera access logs: /tessera/<stage>/…).';
    for (const finding of [
      `Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:API-Gateway-Execution-Logs_*`,
      `Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/tessera/*`,
    ]) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: reason('its log groups'),
      });
    }
    for (const finding of [
      `Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:API-Gateway-Execution-Logs_*:log-stream:*`,
      `Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/tessera/*:log-stream:*`,
    ]) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: reason('log streams'),
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]',
      reason:
        'logs:DescribeLogGroups is a list call: it authorizes against log-group:* only. It is read-only and ' +
        'limited to this account and region.',
    });
    const account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    account.node.addDependency(role);
    // Execution logging on the stage fails to deploy until the account has its logging role.
    this.api.deploymentStage.node.addDependency(account);
  }

  /**
   * Whatever API Gateway rejects itself (WAF, throttling, validation, IAM, unknown routes) answers
   * in the API's error envelope, like the handlers do, with the request id to quote to support.
   */
  private addGatewayResponses(): void {
    // `message` is a JSON string literal: `$context.error.messageString` is one already (quoted and
    // escaped by API Gateway). Validation details go to the access log, not into responses.
    const envelope = (type: string, code: ErrorCode, message: string) =>
      `{"error":{"type":"${type}","code":"${code}","message":${message},"requestId":"$context.requestId"}}`;
    const gatewayMessage = '$context.error.messageString';
    // Each code is in the catalogue (functions/lib/error-codes.ts), so the OpenAPI document lists it.
    const responses: Array<[string, ResponseType, string, ErrorCode, string, string?]> = [
      ['Default4xx', ResponseType.DEFAULT_4XX, 'invalid_request_error', 'request_rejected', gatewayMessage],
      ['Default5xx', ResponseType.DEFAULT_5XX, 'api_error', 'internal_error', '"Internal error."'],
      [
        'BadBody',
        ResponseType.BAD_REQUEST_BODY,
        'invalid_request_error',
        'invalid_body',
        '"The request body does not match the schema of this operation."',
        '400',
      ],
      [
        'BadParameters',
        ResponseType.BAD_REQUEST_PARAMETERS,
        'invalid_request_error',
        'invalid_parameters',
        '"A required path, query or header parameter is missing."',
        '400',
      ],
      [
        'TooLarge',
        ResponseType.REQUEST_TOO_LARGE,
        'invalid_request_error',
        'body_too_large',
        gatewayMessage,
        '413',
      ],
      ['Throttled', ResponseType.THROTTLED, 'rate_limit_error', 'rate_limited', gatewayMessage, '429'],
      ['Quota', ResponseType.QUOTA_EXCEEDED, 'rate_limit_error', 'quota_exceeded', gatewayMessage, '429'],
      ['Waf', ResponseType.WAF_FILTERED, 'permission_error', 'request_blocked', '"Request blocked."', '403'],
      ['AccessDenied', ResponseType.ACCESS_DENIED, 'permission_error', 'forbidden', gatewayMessage, '403'],
      [
        'UsageKey',
        ResponseType.INVALID_API_KEY,
        'permission_error',
        'usage_key_invalid',
        JSON.stringify(USAGE_KEY_REFUSED),
        '403',
      ],
      [
        'MissingAuth',
        ResponseType.MISSING_AUTHENTICATION_TOKEN,
        'authentication_error',
        'not_found_or_unauthenticated',
        '"No such route, or the route needs SigV4 credentials."',
        '403',
      ],
      [
        'BadSignature',
        ResponseType.INVALID_SIGNATURE,
        'authentication_error',
        'invalid_signature',
        gatewayMessage,
        '403',
      ],
      [
        'ExpiredToken',
        ResponseType.EXPIRED_TOKEN,
        'authentication_error',
        'expired_credentials',
        gatewayMessage,
        '403',
      ],
    ];
    for (const [id, type, errorType, code, message, statusCode] of responses) {
      this.api.addGatewayResponse(id, {
        type,
        ...(statusCode ? { statusCode } : {}),
        responseHeaders: {
          'Content-Type': "'application/json'",
          'Cache-Control': "'no-store'",
          'X-Content-Type-Options': "'nosniff'",
        },
        templates: { 'application/json': envelope(errorType, code, message) },
      });
    }
  }

  /**
   * WAF in front of the stage: Amazon IP reputation, the common rule set (which also caps bodies at
   * 8 KB), known bad inputs, and a per-IP rate limit answering 429. Logs go to an encrypted log
   * group, with credentials redacted.
   */
  private addWaf(props: ApiProps): CfnWebACL {
    const name = `tessera-${props.stage}-api`;
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const managed = (ruleName: string, priority: number): CfnWebACL.RuleProperty => ({
      name: ruleName,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: ruleName } },
      visibilityConfig: visibility(ruleName),
    });
    const sensitive = sensitivePathsStatement(props.routes);
    const webAcl = new CfnWebACL(this, 'WebAcl', {
      name,
      description: `Tessera ${props.stage}: managed rules and per-IP rate limit for the public API`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        {
          name: 'RatePerIp',
          priority: 1,
          action: { block: { customResponse: { responseCode: 429 } } },
          statement: {
            rateBasedStatement: {
              limit: props.limits.wafRequestsPerIpPer5Min,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility('RatePerIp'),
        },
        ...(sensitive
          ? [
              {
                name: 'SensitiveRatePerIp',
                priority: 2,
                action: { block: { customResponse: { responseCode: 429 } } },
                statement: {
                  rateBasedStatement: {
                    limit: props.limits.sensitive.wafRequestsPerIpPer5Min,
                    evaluationWindowSec: 300,
                    aggregateKeyType: 'IP',
                    scopeDownStatement: sensitive,
                  },
                },
                visibilityConfig: visibility('SensitiveRatePerIp'),
              },
            ]
          : []),
        managed('AWSManagedRulesCommonRuleSet', 3),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 4),
      ],
    });

    const association = new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    association.node.addDependency(this.api.deploymentStage);

    // WAF requires the `aws-waf-logs-` prefix, and the log group ARN without the trailing `:*`.
    const wafLogs = new LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-tessera-${props.stage}`,
      retention: props.logRetention,
      encryptionKey: props.keys.ops,
      removalPolicy: props.logRemovalPolicy,
    });
    new CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: wafLogs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Merchant API keys, session tokens, usage-plan keys and step-up tokens travel in these headers.
      redactedFields: REDACTED_HEADERS.map((name) => ({ singleHeader: { Name: name } })),
    }).node.addDependency(wafLogs);
    return webAcl;
  }
}

/** Headers WAF logs never show (lower case: WAF matches header names case-insensitively). */
export const REDACTED_HEADERS = ['authorization', 'cookie', 'x-api-key', 'step-up-token'];

/** Non-GET requests to a sensitive route's path (up to its first parameter). */
function sensitivePathsStatement(routes: readonly Route[]): CfnWebACL.StatementProperty | undefined {
  const prefixes = [
    ...new Set(
      routes
        .filter((route) => !route.localOnly && isSensitiveRoute(route))
        .map((route) => route.path.split('{')[0] ?? route.path),
    ),
  ].sort();
  const byPrefix = prefixes.map(
    (prefix): CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: prefix,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    }),
  );
  const notGet: CfnWebACL.StatementProperty = {
    notStatement: {
      statement: {
        byteMatchStatement: {
          fieldToMatch: { method: {} },
          positionalConstraint: 'EXACTLY',
          searchString: 'GET',
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      },
    },
  };
  const [only] = byPrefix;
  if (!only) return undefined;
  const paths = byPrefix.length === 1 ? only : { orStatement: { statements: byPrefix } };
  return { andStatement: { statements: [notGet, paths] } };
}

/** One nested stack of route functions per capability. */
export type CapabilityStack = FunctionStack;

/** One JSON object per request (Serverless-APIGWStructuredLogging), including the TLS version. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      caller: AccessLogField.contextIdentityUserArn(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      protocol: AccessLogField.contextProtocol(),
      tlsVersion: '$context.tlsVersion',
      cipherSuite: '$context.cipherSuite',
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      wafStatus: AccessLogField.contextWafResponseCode(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
      // Gateway error messages carry no double quotes, so the quoted form keeps each line valid JSON.
      errorMessage: AccessLogField.contextErrorMessage(),
    }),
  );
}

/**
 * A request body model from the route's zod schema (JSON Schema draft 4, the dialect API Gateway
 * speaks). It keeps structure only: types, properties, required fields, unknown fields. Value
 * constraints (lengths, enums, bounds, patterns, formats) are dropped on purpose: API Gateway's
 * validator quotes the offending value in its error ("string "4242…" is too long"), which would
 * put card numbers, passwords or codes into gateway logs. zod in the handler checks values, with
 * redacted logs and `param` paths.
 */
export function toGatewaySchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-04',
    io: 'input',
    unrepresentable: 'any',
    // A private registry: no `$ref`s to named schemas, every model is self-contained.
    metadata: z.registry<Record<string, unknown>>(),
  });
  return structureOnly(json) as JsonSchema;
}

/** Keywords a model keeps; none of them makes the validator quote a value. */
const STRUCTURAL = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'oneOf',
  'allOf',
  'definitions',
  '$ref',
]);
/** Keywords whose value maps user-chosen names (property names, …) to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'definitions']);

function structureOnly(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structureOnly);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [keyword, child] of Object.entries(node)) {
    if (!STRUCTURAL.has(keyword)) continue;
    const value = SCHEMA_MAPS.has(keyword)
      ? eachSchema(child)
      : keyword === 'required'
        ? child
        : structureOnly(child);
    // Without their enums, union branches can overlap: `oneOf` would then reject valid input.
    out[keyword === 'oneOf' ? 'anyOf' : keyword] = value;
  }
  return out;
}

function eachSchema(map: unknown): unknown {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return map;
  return Object.fromEntries(Object.entries(map).map(([name, schema]) => [name, structureOnly(schema)]));
}
