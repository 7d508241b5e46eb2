import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RouteAccess } from '../routes/index.ts';

/** A secret a route may read, as written in `RouteAccess.secrets`. */
export type SecretName = NonNullable<RouteAccess['secrets']>[number];

/** Which key encrypts a secret: the vault key for cardholder-data secrets, else the data key. */
export type SecretKey = 'data' | 'vault';

/**
 * Every secret with what it is for, its key, and why it is not rotated automatically
 * (AwsSolutions-SMG4). Adding a name to `RouteAccess['secrets']` without an entry here is a type
 * error.
 */
const SECRETS: Record<SecretName, { description: string; key: SecretKey; noRotation: string }> = {
  // Set by an operator (docs/runbook.md); CDK creates it with a random placeholder, which the
  // processor refuses as "not an sk_ key" until the real key is put.
  'processor-api-key': {
    key: 'data',
    description: 'Card processor API key (Stripe secret or restricted key, sk_live_ in prod only)',
    noRotation:
      'The key is issued by the acquirer (Stripe dashboard: roll key); a Secrets Manager rotation Lambda ' +
      'cannot create one. Rolling it is a runbook step: roll at Stripe with an overlap, put the new value, ' +
      'then let the old key expire at Stripe.',
  },
  'session-signing': {
    key: 'data',
    description: 'HMAC key that signs customer session and step-up tokens (jose HS256)',
    noRotation:
      'Rotating the session-signing key needs a verifier that accepts the previous key during the token ' +
      'lifetime; until that dual-key window exists, rotation is a manual runbook step (it logs every ' +
      'customer out).',
  },
  // Part of the cardholder data environment: an HMAC key over PANs (issue 4: under the vault key).
  fingerprint: {
    key: 'vault',
    description: 'HMAC key for card fingerprints (duplicate and cross-customer reuse detection)',
    noRotation:
      'Card fingerprints are HMACs under this key and are compared across all stored cards; rotating it ' +
      'silently breaks duplicate and cross-customer detection unless every vaulted card is re-fingerprinted, ' +
      'which is a planned, manual re-keying job, never a scheduled rotation.',
  },
  'otp-pepper': {
    key: 'data',
    description: 'Pepper for hashing 2FA recovery codes',
    noRotation:
      'Recovery codes are stored as peppered hashes; rotating the pepper invalidates every outstanding ' +
      'recovery code, so it is rotated only with a planned re-enrolment.',
  },
  'cursor-signing': {
    key: 'data',
    description: 'HMAC key that binds opaque list cursors to the merchant they were issued to',
    noRotation:
      'Automatic rotation needs a rotation Lambda and a verifier that accepts the previous key; the cursor ' +
      'verifier accepts one key, so a scheduled rotation would fail every pagination in flight (400 ' +
      'invalid_cursor). Cursors are short-lived and carry no authority beyond positioning within the ' +
      "caller's own orders, so rotation is a manual runbook step that only makes clients restart a listing.",
  },
};

export interface SecretsProps {
  stage: string;
  keys: Record<SecretKey, IKey>;
}

/** The Secrets Manager secrets functions may read, each generated at deploy time, never in code. */
export class Secrets extends Construct {
  readonly secrets: ReadonlyMap<SecretName, Secret>;
  private readonly keys: Record<SecretKey, IKey>;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    this.keys = props.keys;
    const secrets = new Map<SecretName, Secret>();
    for (const [name, spec] of Object.entries(SECRETS) as [SecretName, (typeof SECRETS)[SecretName]][]) {
      const secret = new Secret(this, name, {
        secretName: `tessera/${props.stage}/${name}`,
        description: `Tessera ${props.stage}: ${spec.description}`,
        encryptionKey: props.keys[spec.key],
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
        // Losing a signing or fingerprint key is unrecoverable; keep it past the stack.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: spec.noRotation });
      secrets.set(name, secret);
    }
    this.secrets = secrets;
  }

  secret(name: SecretName): Secret {
    const secret = this.secrets.get(name);
    if (!secret) throw new Error(`Unknown secret "${name}"`);
    return secret;
  }

  /** Which key encrypts a secret. */
  static keyOf(name: SecretName): SecretKey {
    return SECRETS[name].key;
  }

  /**
   * Read access to one secret: the secret itself, and decryption under its key only when Secrets
   * Manager asks for it (`kms:ViaService`), so a reader of the fingerprint secret gains no direct
   * use of the vault key. Written out rather than `secret.grantRead`, which also edits the key
   * policy for principals in other (nested) stacks and so creates a dependency cycle.
   * `keyGranted`: the grantee may already decrypt under the secret's key directly (the charger's
   * `vault:decrypt`), which covers Secrets Manager's use too.
   */
  grantRead(name: SecretName, grantee: IGrantable, options: { keyGranted?: boolean } = {}): void {
    Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [this.secret(name).secretArn],
    });
    if (options.keyGranted) return;
    Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.keys[Secrets.keyOf(name)].keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
      },
    });
  }

  /** `session-signing` -> `SESSION_SIGNING_SECRET_ARN`. */
  static envVar(name: SecretName): string {
    return `${name.toUpperCase().replaceAll('-', '_')}_SECRET_ARN`;
  }
}
