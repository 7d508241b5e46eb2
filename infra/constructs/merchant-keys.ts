import { Stack, Validations } from 'aws-cdk-lib';
import type { UsagePlan } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { TesseraFunction } from './function.ts';

/**
 * What the functions that issue merchant usage keys (`RouteAccess.usagePlanKeys`: onboarding and
 * key rotation) may do in API Gateway, and how they find the merchant usage plan
 * (functions/merchants/usage-keys-apigateway.ts). The policy lives in the parent stack, beside the
 * plan, so it can name the plan's id exactly: the functions' own stacks cannot reference the plan
 * (the plan names the stage, whose deployment waits for those stacks' methods; ADR 0025).
 */
export class MerchantKeyIssuers extends Construct {
  private readonly policy: ManagedPolicy;
  private readonly planName: string;

  constructor(scope: Construct, id: string, props: { plan: UsagePlan; planName: string }) {
    super(scope, id);
    this.planName = props.planName;
    const arn = (path: string) =>
      `arn:${Stack.of(this).partition}:apigateway:${Stack.of(this).region}::${path}`;
    this.policy = new ManagedPolicy(this, 'Policy', {
      description: 'Merchant usage keys: create, attach to the merchant usage plan, delete',
      statements: [
        // CreateApiKey; GetApiKeys (a retried create finds the key it made by name and value).
        new PolicyStatement({
          sid: 'CreateAndFindKeys',
          actions: ['apigateway:POST', 'apigateway:GET'],
          resources: [arn('/apikeys')],
        }),
        // GetUsagePlans: the plan by its name, once per container.
        new PolicyStatement({
          sid: 'FindPlan',
          actions: ['apigateway:GET'],
          resources: [arn('/usageplans')],
        }),
        // CreateUsagePlanKey onto this one plan.
        new PolicyStatement({
          sid: 'AttachToMerchantPlan',
          actions: ['apigateway:POST'],
          resources: [arn(`/usageplans/${props.plan.usagePlanId}/keys`)],
        }),
        // DeleteApiKey of a replaced or orphaned key.
        new PolicyStatement({
          sid: 'DeleteKeys',
          actions: ['apigateway:DELETE'],
          resources: [arn('/apikeys/*')],
        }),
      ],
    });
    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*]',
      reason:
        "DeleteApiKey of a merchant's replaced usage key: key ids are assigned by API Gateway when the key is " +
        'created, so no ARN can name them in advance. Only the operator-only onboarding and key-rotation ' +
        'functions hold it, and they delete only ids recorded on a merchant (or just created by themselves).',
    });
  }

  /** Lets `fn` issue and delete merchant usage keys, and tells it the plan's name. */
  grant(fn: TesseraFunction): void {
    this.policy.attachToRole(fn.executionRole);
    fn.addEnvironment('MERCHANT_USAGE_PLAN_NAME', this.planName);
  }
}
