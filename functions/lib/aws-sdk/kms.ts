/**
 * The slice of the KMS SDK that `KmsKeyService` uses; it loads with one dynamic import on first use.
 *
 * Why `#kms/…` and not `@aws-sdk/client-kms`: a module reached by a dynamic `import()` is wrapped
 * whole by the bundler (no code splitting), so importing from the package index drags in the
 * aggregated client, every command and every schema (~50 KB per function that may seal a secret).
 * The `imports` map in ./package.json points the bundler (esbuild's default `module` condition) at
 * the client and command files themselves, and everything else (Node, vitest's `development`,
 * TypeScript) at the package as usual. Should the bundler stop matching `module`, it falls back to
 * the package: bigger, never broken.
 */
export { KMSClient } from '#kms/client';
export { DecryptCommand } from '#kms/decrypt';
export { EncryptCommand } from '#kms/encrypt';
export { GenerateDataKeyCommand } from '#kms/generate-data-key';
export { ReEncryptCommand } from '#kms/re-encrypt';
