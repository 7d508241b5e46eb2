import {
  type AddToPrincipalPolicyResult,
  ManagedPolicy,
  type PolicyStatement,
  Role,
  type RoleProps,
} from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * A role whose every grant lands in one customer-managed policy instead of CDK's inline
 * `DefaultPolicy`. PCI DSS 3.2.1 (IAMNoInlinePolicy) rejects inline policies, and AwsSolutions-IAM4
 * rejects AWS-managed ones, so this is the shape both packs accept. The policy is a child of the
 * role, so anything that depends on the role (a Lambda function) also waits for its permissions.
 */
export class LeastPrivilegeRole extends Role {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id, props);
    this.policy = new ManagedPolicy(this, 'Policy', {
      roles: [this],
      ...(props.description ? { description: props.description } : {}),
    });
  }

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
