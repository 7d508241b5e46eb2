import { Aws, Duration, NestedStack, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type CfnTrail, ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { CfnConfigRule, CfnConfigurationRecorder, CfnDeliveryChannel } from 'aws-cdk-lib/aws-config';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { CfnDetector } from 'aws-cdk-lib/aws-guardduty';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { CfnHub, CfnStandard } from 'aws-cdk-lib/aws-securityhub';
import type { Construct } from 'constructs';
import { LeastPrivilegeRole } from './iam.ts';
import { tesseraKey } from './keys.ts';

export interface SecurityBaselineProps {
  stage: string;
  /** The card vault table: its item-level (data) events are logged. */
  vaultTable: ITable;
  /** The vault key: its use is logged as management events and through its VPC endpoint. */
  vaultKey: IKey;
  /** Encrypts the trail's CloudWatch log group. */
  logKey: IKey;
  logRetention: RetentionDays;
  /** GuardDuty findings go here: the alarm topic, with its delivery DLQ (`Monitoring.ruleTarget`). */
  alarmTarget: IRuleTarget;
}

/**
 * AWS Config managed rules standing in for the PCI DSS conformance pack (whose template is fetched
 * from AWS's samples repository, which an offline synth cannot do): the rules that check what this
 * stack claims. The PCI DSS v4.0.1 requirement each supports is in docs/pci-dss.md.
 */
export const CONFIG_RULES: Readonly<Record<string, string>> = {
  CLOUD_TRAIL_ENABLED: 'A trail records API activity (10.2.1)',
  MULTI_REGION_CLOUD_TRAIL_ENABLED: 'The trail covers every region (10.2.1)',
  CLOUD_TRAIL_ENCRYPTION_ENABLED: 'Trail logs are KMS-encrypted (10.3.2)',
  CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED: 'Trail log files are integrity-checked (10.3.4)',
  CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED: 'The trail feeds CloudWatch Logs for alarms (10.4.1)',
  CLOUDWATCH_LOG_GROUP_ENCRYPTED: 'Log groups are KMS-encrypted (10.3.2)',
  CW_LOGGROUP_RETENTION_PERIOD_CHECK: 'Logs are kept (10.5.1)',
  DYNAMODB_TABLE_ENCRYPTED_KMS: 'Tables use KMS keys (3.5.1)',
  DYNAMODB_PITR_ENABLED: 'Tables can be restored (12.10.1)',
  CMK_BACKING_KEY_ROTATION_ENABLED: 'Customer-managed keys rotate (3.7.4)',
  KMS_CMK_NOT_SCHEDULED_FOR_DELETION: 'No key is being deleted (3.7)',
  LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED: 'No function is public (7.2.1)',
  API_GW_ASSOCIATED_WITH_WAF: 'The API is behind WAF (6.4.2)',
  API_GW_EXECUTION_LOGGING_ENABLED: 'API execution logs are on (10.2.1)',
  API_GW_CACHE_ENABLED_AND_ENCRYPTED: 'No unencrypted API cache (3.5.1)',
  S3_BUCKET_PUBLIC_READ_PROHIBITED: 'No bucket is public (1.4.1)',
  S3_BUCKET_SSL_REQUESTS_ONLY: 'Buckets take TLS only (4.2.1)',
  S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED: 'Buckets are encrypted (3.5.1)',
  SNS_ENCRYPTED_KMS: 'Topics are KMS-encrypted (3.5.1)',
  VPC_FLOW_LOGS_ENABLED: 'VPC flow logs are on (10.2.1)',
  VPC_DEFAULT_SECURITY_GROUP_CLOSED: 'Default security groups admit nothing (1.2.1)',
  IAM_NO_INLINE_POLICY_CHECK: 'No inline IAM policies (7.2.2)',
  IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS: 'No customer policy grants *:* (7.2.2)',
  IAM_ROOT_ACCESS_KEY_CHECK: 'The root user has no access keys (8.2.2)',
  ROOT_ACCOUNT_MFA_ENABLED: 'The root user has MFA (8.4.1)',
  MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS: 'Console users have MFA (8.4.2)',
  IAM_USER_UNUSED_CREDENTIALS_CHECK: 'Unused credentials are disabled (8.2.6)',
  ACCESS_KEYS_ROTATED: 'Access keys rotate (8.3.9)',
  GUARDDUTY_ENABLED_CENTRALIZED: 'GuardDuty is on (11.5.1)',
  SECURITYHUB_ENABLED: 'Security Hub is on (10.4.1)',
};

/**
 * The opt-in, account-level security baseline (docs/adr/0014-security-baseline.md): an audit
 * trail, threat detection and configuration audit. A nested stack of the Tessera stack, on in prod
 * by default (`-c securityBaseline=true|false`). GuardDuty, AWS Config's recorder and Security Hub
 * are one per account and region: where the account (or the organization) already has them, turn
 * this off; docs/runbook.md lists what must then be true.
 *
 * - CloudTrail: one multi-region trail with log-file validation, global service events, all
 *   management events (KMS included, so every use of the vault key is logged), data events of the
 *   vault table, and network-activity events of KMS (calls through the vault's VPC endpoint,
 *   denied ones included). Delivered to an S3 bucket that is KMS-encrypted (its own audit key),
 *   versioned and object-locked (compliance mode in prod: nobody, root included, can delete a log
 *   file for a year), and to CloudWatch Logs for alarms.
 * - GuardDuty with S3, Lambda network and runtime protection; findings of medium severity and
 *   above go to the alarm topic.
 * - AWS Config recording every resource, delivering to the audit bucket, with CONFIG_RULES.
 * - Security Hub with the PCI DSS v4.0.1 standard.
 */
export class SecurityBaseline extends NestedStack {
  readonly auditKey: Key;
  readonly bucket: Bucket;
  readonly trail: Trail;
  readonly detector: CfnDetector;
  readonly hub: CfnHub;
  readonly pciStandard: CfnStandard;
  readonly configRules: CfnConfigRule[];

  constructor(scope: Construct, id: string, props: SecurityBaselineProps) {
    super(scope, id, { description: `Tessera ${props.stage}: security baseline (audit trail, detection)` });
    const prod = props.stage === 'prod';
    this.auditKey = tesseraKey(
      this,
      'AuditKey',
      props.stage,
      'audit',
      'CloudTrail and AWS Config audit logs',
    );
    this.bucket = this.auditBucket(prod);
    this.trail = this.auditTrail(props);
    this.detector = this.guardDuty(props);
    this.configRules = this.awsConfig(props.stage);
    this.hub = new CfnHub(this, 'SecurityHub', {
      enableDefaultStandards: false,
      controlFindingGenerator: 'SECURITY_CONTROL',
      autoEnableControls: true,
    });
    this.pciStandard = new CfnStandard(this, 'PciDss', {
      standardsArn: `arn:${Aws.PARTITION}:securityhub:${Aws.REGION}::standards/pci-dss/v/4.0.1`,
    });
    this.pciStandard.node.addDependency(this.hub);
  }

  private auditBucket(prod: boolean): Bucket {
    // S3 server access logs can only go to an SSE-S3 bucket; this one holds only those.
    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { expiration: Duration.days(prod ? 400 : 90), noncurrentVersionExpiration: Duration.days(30) },
      ],
    });
    Validations.of(accessLogs).acknowledge(
      {
        id: 'AwsSolutions-S1',
        reason:
          'This bucket receives the server access logs of the audit bucket; logging its own access would need ' +
          'a third bucket, and so on. Changes to it are management events in the security baseline trail.',
      },
      {
        id: 'PCI.DSS.321-S3BucketLoggingEnabled',
        reason: 'The access-log bucket itself: logging its access would recurse (see AwsSolutions-S1).',
      },
      {
        id: 'PCI.DSS.321-S3DefaultEncryptionKMS',
        reason:
          'S3 server access logging delivers only to SSE-S3 buckets (a KMS-encrypted target is refused).',
      },
      {
        id: 'PCI.DSS.321-S3BucketReplicationEnabled',
        reason:
          'Access logs of the audit bucket are kept versioned in-region; cross-region replication is an ' +
          'operator choice (docs/runbook.md), not a requirement.',
      },
    );
    const bucket = new Bucket(this, 'AuditLogs', {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.auditKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      // PCI DSS 10.5.1: a year of audit history; compliance mode in prod cannot be shortened by anyone.
      objectLockDefaultRetention: prod
        ? ObjectLockRetention.compliance(Duration.days(365))
        : ObjectLockRetention.governance(Duration.days(30)),
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit-logs/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(prod ? 400 : 60) }],
    });
    Validations.of(bucket).acknowledge({
      id: 'PCI.DSS.321-S3BucketReplicationEnabled',
      reason:
        'The audit bucket is versioned and object-locked (WORM), which is what protects audit logs from ' +
        'deletion (PCI DSS 10.3.3); a replica in another region is an operator choice for disaster recovery.',
    });
    // CloudTrail (this account's trails only) and AWS Config encrypt their deliveries with the key.
    this.auditKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudTrailEncryptsLogs',
        principals: [new ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${Aws.PARTITION}:cloudtrail:*:${Aws.ACCOUNT_ID}:trail/*`,
          },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    this.auditKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'ConfigEncryptsDeliveries',
        principals: [new ServicePrincipal('config.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    return bucket;
  }

  private auditTrail(props: SecurityBaselineProps): Trail {
    const logs = new LogGroup(this, 'TrailLogs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const trail = new Trail(this, 'Trail', {
      trailName: `tessera-${props.stage}-audit`,
      bucket: this.bucket,
      encryptionKey: this.auditKey,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      managementEvents: ReadWriteType.ALL,
    });
    // The trail's CloudWatch Logs delivery role, with a managed policy (the L2's is inline).
    const logsRole = new LeastPrivilegeRole(this, 'TrailLogsRole', {
      assumedBy: new ServicePrincipal('cloudtrail.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `Tessera ${props.stage}: CloudTrail delivers the audit trail to CloudWatch Logs`,
    });
    logs.grantWrite(logsRole);
    const cfn = trail.node.defaultChild as CfnTrail;
    cfn.cloudWatchLogsLogGroupArn = logs.logGroupArn;
    cfn.cloudWatchLogsRoleArn = logsRole.roleArn;
    cfn.node.addDependency(logsRole.policy);
    // Advanced selectors replace basic ones: management events (KMS included), the vault table's
    // data events, and KMS calls through VPC endpoints.
    cfn.addPropertyDeletionOverride('EventSelectors');
    cfn.advancedEventSelectors = [
      {
        name: 'All management events, KMS included',
        fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }],
      },
      {
        name: 'Vault table item reads and writes',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
          { field: 'resources.ARN', equalTo: [props.vaultTable.tableArn] },
        ],
      },
      {
        name: 'KMS calls through VPC endpoints (the vault key from the CDE)',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['NetworkActivity'] },
          { field: 'eventSource', equalTo: ['kms.amazonaws.com'] },
        ],
      },
    ];
    return trail;
  }

  private guardDuty(props: SecurityBaselineProps): CfnDetector {
    const detector = new CfnDetector(this, 'GuardDuty', {
      enable: true,
      findingPublishingFrequency: 'FIFTEEN_MINUTES',
      features: ['S3_DATA_EVENTS', 'LAMBDA_NETWORK_LOGS', 'RUNTIME_MONITORING'].map((name) => ({
        name,
        status: 'ENABLED',
      })),
    });
    new Rule(this, 'GuardDutyFindings', {
      ruleName: `tessera-${props.stage}-guardduty-findings`,
      description: 'GuardDuty findings of medium severity (4) and above, to the alarm topic',
      eventPattern: {
        source: ['aws.guardduty'],
        detailType: ['GuardDuty Finding'],
        detail: { severity: [{ numeric: ['>=', 4] }] },
      },
      targets: [props.alarmTarget],
    });
    return detector;
  }

  /**
   * The recorder uses AWS Config's service-linked role (AWSServiceRoleForConfig, created once per
   * account: docs/runbook.md), so no role here carries the broad read policy Config needs.
   */
  private awsConfig(stage: string): CfnConfigRule[] {
    const recorder = new CfnConfigurationRecorder(this, 'ConfigRecorder', {
      name: `tessera-${stage}`,
      roleArn: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`,
      recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
    });
    const channel = new CfnDeliveryChannel(this, 'ConfigDelivery', {
      name: `tessera-${stage}`,
      s3BucketName: this.bucket.bucketName,
      s3KeyPrefix: 'config',
      s3KmsKeyArn: this.auditKey.keyArn,
      configSnapshotDeliveryProperties: { deliveryFrequency: 'TwentyFour_Hours' },
    });
    // Config writes with its service-linked role: the bucket admits it for this account only.
    const stack = Stack.of(this);
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'ConfigChecksBucket',
        principals: [new ServicePrincipal('config.amazonaws.com')],
        actions: ['s3:GetBucketAcl', 's3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'ConfigDelivers',
        principals: [new ServicePrincipal('config.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`config/AWSLogs/${stack.account}/Config/*`)],
        conditions: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': stack.account },
        },
      }),
    );
    return Object.entries(CONFIG_RULES).map(([identifier, description]) => {
      const rule = new CfnConfigRule(this, `Rule${identifier}`, {
        configRuleName: `tessera-${stage}-${identifier.toLowerCase().replaceAll('_', '-')}`,
        description,
        source: { owner: 'AWS', sourceIdentifier: identifier },
        ...(identifier === 'CW_LOGGROUP_RETENTION_PERIOD_CHECK'
          ? { inputParameters: { MinRetentionTime: stage === 'prod' ? '365' : '30' } }
          : {}),
      });
      rule.node.addDependency(recorder);
      rule.node.addDependency(channel);
      return rule;
    });
  }
}
