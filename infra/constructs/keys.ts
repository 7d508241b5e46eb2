import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type Grant, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { RouteAccess } from '../routes.ts';

/** How a route may use a key, as written in `RouteAccess.keys`. */
export type KeyUse = NonNullable<RouteAccess['keys']>[number];

/**
 * The exact KMS actions behind each use. This table is THE place that decides who may do what
 * with the vault and 2FA keys: the vault tokenizer gets `vault:encrypt` (GenerateDataKey: it wraps
 * per-card data keys, it never sends a PAN to KMS), and only the vault and the charger get
 * `vault:decrypt`. Re-wrapping a data key without seeing it (KMS ReEncrypt, used by the vault
 * rewrap job) needs ReEncryptFrom on the source and ReEncryptTo on the target, so each lands on
 * the side it belongs to: only a holder of both uses can re-wrap. The jobs issue grants the
 * charger through `Keys.grant` as well.
 */
const KEY_ACTIONS: Record<KeyUse, { key: 'vault' | 'secrets'; actions: string[] }> = {
  'vault:encrypt': { key: 'vault', actions: ['kms:GenerateDataKey', 'kms:ReEncryptTo'] },
  'vault:decrypt': { key: 'vault', actions: ['kms:Decrypt', 'kms:ReEncryptFrom'] },
  // TOTP secrets, webhook signing secrets and sealed idempotent responses are small: they are
  // encrypted directly under the key (with an encryption context), no data key involved.
  'secrets:encrypt': { key: 'secrets', actions: ['kms:Encrypt'] },
  'secrets:decrypt': { key: 'secrets', actions: ['kms:Decrypt'] },
};

export interface KeysProps {
  stage: string;
}

/**
 * The stack's customer-managed keys, each with yearly rotation and an alias. They are split by
 * blast radius: a principal that may use one learns nothing protected by another.
 * - `vault`: the cardholder data environment (vault table, card data keys).
 * - `secrets`: application secrets sealed by the functions (TOTP secrets, webhook signing secrets,
 *   idempotent responses that carry a secret).
 * - `data`: the main table and the Secrets Manager secrets.
 * - `ops`: CloudWatch Logs and the alarm topic; the only key whose policy admits AWS services.
 * Keys are always retained: deleting one makes every retained table, backup or log it protects
 * unreadable.
 */
export class Keys extends Construct {
  readonly vault: Key;
  readonly secrets: Key;
  readonly data: Key;
  readonly ops: Key;

  constructor(scope: Construct, id: string, props: KeysProps) {
    super(scope, id);
    const key = (name: string, description: string) =>
      new Key(this, `${name[0]?.toUpperCase()}${name.slice(1)}Key`, {
        alias: `alias/tessera/${props.stage}/${name}`,
        description: `Tessera ${props.stage}: ${description}`,
        enableKeyRotation: true,
        rotationPeriod: Duration.days(365),
        removalPolicy: RemovalPolicy.RETAIN,
        pendingWindow: Duration.days(30),
      });

    this.vault = key('vault', 'card vault (CDE) table and card data keys');
    this.secrets = key('secrets', 'application secrets (TOTP, webhook signing, sealed responses)');
    this.data = key('data', 'main table and Secrets Manager secrets');
    this.ops = key('ops', 'CloudWatch Logs and alarm notifications');

    // CloudWatch Logs encrypts log groups with the ops key, bounded to this account's log groups.
    this.ops.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsEncryption',
        principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
    // CloudWatch alarms publish to the KMS-encrypted alarm topic.
    this.ops.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsToEncryptedTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
  }

  /** Grants one `RouteAccess.keys` use. Vault and 2FA key grants go through here and nowhere else. */
  grant(grantee: IGrantable, use: KeyUse): Grant {
    const { key, actions } = KEY_ACTIONS[use];
    return this[key].grant(grantee, ...actions);
  }

  /**
   * The variable naming the key for a use (functions/lib/config.ts: VAULT_KEY_ID, SECRETS_KEY_ID);
   * its value is the key ARN, which every KMS call accepts as a KeyId.
   */
  static envVar(use: KeyUse): string {
    return `${KEY_ACTIONS[use].key.toUpperCase()}_KEY_ID`;
  }

  /** The KMS actions behind a use. */
  static actions(use: KeyUse): string[] {
    return [...KEY_ACTIONS[use].actions];
  }

  keyFor(use: KeyUse): Key {
    return this[KEY_ACTIONS[use].key];
  }
}
