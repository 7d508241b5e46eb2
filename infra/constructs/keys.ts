import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AnyPrincipal,
  Effect,
  type Grant,
  type IGrantable,
  PolicyStatement,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { RouteAccess } from '../routes/index.ts';

/** How a route may use a key, as written in `RouteAccess.keys`. */
export type KeyUse = NonNullable<RouteAccess['keys']>[number];

/**
 * The exact KMS actions behind each use. This table is THE place that decides who may do what
 * with the vault and secrets keys: the vault tokenizer gets `vault:encrypt` (GenerateDataKey: it
 * wraps per-card data keys, it never sends a PAN to KMS), and only the vault and the charger get
 * `vault:decrypt`. Re-wrapping a data key without seeing it (KMS ReEncrypt, the vault rewrap
 * command) is its own use: ReEncryptFrom and ReEncryptTo, and neither Decrypt nor GenerateDataKey.
 * Every vault action belongs to exactly one use, so the key policy can name who holds each.
 */
const KEY_ACTIONS: Record<KeyUse, { key: 'vault' | 'secrets'; actions: string[] }> = {
  'vault:encrypt': { key: 'vault', actions: ['kms:GenerateDataKey'] },
  'vault:decrypt': { key: 'vault', actions: ['kms:Decrypt'] },
  'vault:rewrap': { key: 'vault', actions: ['kms:ReEncryptFrom', 'kms:ReEncryptTo'] },
  // TOTP secrets, webhook signing secrets and sealed idempotent responses are small: they are
  // encrypted directly under the key (with an encryption context), no data key involved.
  'secrets:encrypt': { key: 'secrets', actions: ['kms:Encrypt'] },
  'secrets:decrypt': { key: 'secrets', actions: ['kms:Decrypt'] },
};

const VAULT_USES = (Object.keys(KEY_ACTIONS) as KeyUse[]).filter((use) => KEY_ACTIONS[use].key === 'vault');

/** Vault key operations no use needs directly; only AWS services acting for a caller may run them. */
const VAULT_UNUSED_ACTIONS = [
  'kms:Encrypt',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  // A grant would hand out what the statements below withhold.
  'kms:CreateGrant',
];

export interface KeysProps {
  stage: string;
}

/**
 * The stack's customer-managed keys, each with yearly rotation and an alias. They are split by
 * blast radius: a principal that may use one learns nothing protected by another.
 * - `vault`: the cardholder data environment (vault table, card data keys, the card fingerprint
 *   secret); its policy also denies direct use to all but the roles granted it (`restrictVaultKey`).
 * - `secrets`: application secrets sealed by the functions (TOTP secrets, webhook signing secrets,
 *   idempotent responses that carry a secret).
 * - `data`: the main table and the other Secrets Manager secrets.
 * - `ops`: CloudWatch Logs and the alarm topic; the only key whose policy admits AWS services.
 * Keys are always retained: deleting one makes every retained table, backup or log it protects
 * unreadable.
 */
export class Keys extends Construct {
  readonly vault: Key;
  readonly secrets: Key;
  readonly data: Key;
  readonly ops: Key;
  private readonly vaultHolders = new Map<KeyUse, Set<string>>();
  private vaultRestricted = false;

  constructor(scope: Construct, id: string, props: KeysProps) {
    super(scope, id);
    const key = (name: string, description: string) =>
      tesseraKey(this, `${name[0]?.toUpperCase()}${name.slice(1)}Key`, props.stage, name, description);

    this.vault = key('vault', 'card vault (CDE) table, card data keys and fingerprint secret');
    this.secrets = key('secrets', 'application secrets (TOTP, webhook signing, sealed responses)');
    this.data = key('data', 'main table and Secrets Manager secrets');
    this.ops = key('ops', 'CloudWatch Logs and alarm notifications');
    this.node.addValidation({
      validate: () => (this.vaultRestricted ? [] : ['Keys.restrictVaultKey() was never called']),
    });

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
    // EventBridge rules (GuardDuty findings, card-data changes) publish to the encrypted alarm topic.
    this.ops.addToResourcePolicy(
      new PolicyStatement({
        sid: 'EventBridgeToEncryptedTopic',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    // SNS moves undeliverable alarm notifications to the KMS-encrypted delivery DLQ.
    this.ops.addToResourcePolicy(
      new PolicyStatement({
        sid: 'SnsToEncryptedDeadLetterQueue',
        principals: [new ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
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

  /**
   * Grants one `RouteAccess.keys` use. Vault and secrets key grants go through here and nowhere
   * else. A vault use also needs the grantee's role ARN as a plain string (a fixed role name, not a
   * reference to the role): the vault key policy names it, see `restrictVaultKey`.
   */
  grant(grantee: IGrantable, use: KeyUse, principalArn?: string): Grant {
    const { key, actions } = KEY_ACTIONS[use];
    if (key === 'vault') {
      if (this.vaultRestricted) throw new Error(`vault key policy already written; grant ${use} earlier`);
      if (principalArn === undefined) {
        throw new Error(`${use} needs a role with a fixed name: the vault key policy names its ARN`);
      }
      const holders = this.vaultHolders.get(use) ?? new Set<string>();
      holders.add(principalArn);
      this.vaultHolders.set(use, holders);
    }
    return this[key].grant(grantee, ...actions);
  }

  /**
   * The key-policy half of "encrypt only for the vault function, decrypt only for the vault and
   * charger functions": a Deny per vault use for every principal in the account except the roles
   * granted that use, so an IAM policy written later (an admin's `kms:*`, a mistaken IAM grant) still
   * cannot wrap or unwrap card data keys. Call it once, after every grant.
   *
   * - Only direct calls are denied (`kms:ViaService` absent) and only by IAM principals
   *   (`aws:PrincipalIsAWSService` false): DynamoDB (the vault table) and Secrets Manager (the
   *   fingerprint secret) use this key on a caller's behalf, bounded by the ViaService-scoped IAM
   *   grants, and key administration (PutKeyPolicy, rotation) stays open, so the account cannot
   *   lock itself out.
   * - Roles are named by ARN strings built from their fixed names. Referencing the roles would make
   *   the key (parent stack) wait for the capability stacks, which already wait for the key (its
   *   ARN is their parameter): a circular dependency CloudFormation rejects.
   */
  restrictVaultKey(): void {
    if (this.vaultRestricted) throw new Error('restrictVaultKey called twice');
    this.vaultRestricted = true;
    const directByIamPrincipals = {
      Null: { 'kms:ViaService': 'true' },
      Bool: { 'aws:PrincipalIsAWSService': 'false' },
    };
    for (const use of VAULT_USES) {
      const holders = [...(this.vaultHolders.get(use) ?? [])];
      this.vault.addToResourcePolicy(
        new PolicyStatement({
          sid: `Deny${pascal(use)}ExceptGrantedRoles`,
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: KEY_ACTIONS[use].actions,
          resources: ['*'],
          conditions: {
            ...directByIamPrincipals,
            // No holder: nobody may, so the statement denies every direct call.
            ...(holders.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': holders } } : {}),
          },
        }),
      );
    }
    this.vault.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyOtherDirectVaultUse',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: VAULT_UNUSED_ACTIONS,
        resources: ['*'],
        conditions: directByIamPrincipals,
      }),
    );
  }

  /** The role ARNs granted each vault use, as written into the key policy. */
  vaultHoldersOf(use: KeyUse): string[] {
    return [...(this.vaultHolders.get(use) ?? [])];
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

/**
 * A Tessera customer-managed key: yearly rotation, an alias, always retained, and grants only for
 * AWS services (`limitGrantsToAwsServices`). Every key of the app is made here (the security
 * baseline's audit key too), so no key escapes the rule.
 */
export function tesseraKey(
  scope: Construct,
  id: string,
  stage: string,
  name: string,
  description: string,
): Key {
  const key = new Key(scope, id, {
    alias: `alias/tessera/${stage}/${name}`,
    description: `Tessera ${stage}: ${description}`,
    enableKeyRotation: true,
    rotationPeriod: Duration.days(365),
    removalPolicy: RemovalPolicy.RETAIN,
    pendingWindow: Duration.days(30),
  });
  limitGrantsToAwsServices(key);
  return key;
}

/**
 * A grant hands out key use outside every policy, so grants may only be made for an AWS service
 * that integrates with KMS (DynamoDB, Secrets Manager, …) acting for its caller:
 * `kms:GrantIsForAWSResource` is true exactly then (AWS KMS condition keys reference). A principal
 * with `kms:*` from IAM still cannot grant itself or anyone else the key.
 */
export function limitGrantsToAwsServices(key: Key): void {
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'GrantsOnlyForAwsServices',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'false' } },
    }),
  );
}

/** `vault:encrypt` -> `VaultEncrypt` (statement ids allow letters and digits only). */
const pascal = (use: string) =>
  use
    .split(/[^a-zA-Z0-9]+/)
    .map((part) => `${part[0]?.toUpperCase() ?? ''}${part.slice(1)}`)
    .join('');
