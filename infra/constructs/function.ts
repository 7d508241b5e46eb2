import path from 'node:path';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLES } from '../../functions/lib/tables.ts';
import { tableName } from './data.ts';
import { LeastPrivilegeRole } from './iam.ts';
import type { VaultNetwork } from './network.ts';

/** The repository root: entries, the lockfile and tsconfig are resolved from here, not from cwd. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * esbuild emits ESM, but some bundled dependencies are CommonJS and call `require` for Node
 * built-ins; ESM has no `require`, so the bundle defines one. The alias avoids clashing with any
 * `createRequire` the bundle itself declares.
 */
const REQUIRE_SHIM =
  "import { createRequire as __tesseraCreateRequire } from 'node:module'; " +
  'const require = __tesseraCreateRequire(import.meta.url);';

export interface TesseraFunctionProps {
  /** Entry file, relative to the repository root (as in `infra/routes.ts`). */
  entry: string;
  /** Exported handler name in the entry file. */
  handler: string;
  stage: string;
  description?: string;
  /** Per-function variables, on top of STAGE, the service name, table names and the source-map flag. */
  environment?: Record<string, string>;
  memorySize?: number;
  timeout?: Duration;
  /** Receives failed asynchronous invocations (Serverless-LambdaDLQ). */
  deadLetterQueue: IQueue;
  /** Encrypts the function's log group (PCI.DSS.321-CloudWatchLogGroupEncrypted). */
  logKey: IKey;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
  /** Runs the function in the cardholder data environment's isolated subnets (vault functions). */
  network?: VaultNetwork;
}

/**
 * A Lambda function with Tessera's defaults: Node 24 on arm64, one minified ESM bundle per function
 * (AWS SDK included, so its version is the pinned one, not the runtime's), source maps, X-Ray,
 * an explicit encrypted log group with retention, a DLQ, optionally the vault's isolated subnets,
 * and a role that starts with nothing but its own log group and gains only what the caller grants.
 *
 * The role and the log group are created before the function (they are constructor inputs), so
 * they sit beside it in the tree as `<id>Role` and `<id>Logs`.
 */
export class TesseraFunction extends NodejsFunction {
  readonly executionRole: LeastPrivilegeRole;
  readonly functionLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TesseraFunctionProps) {
    const executionRole = new LeastPrivilegeRole(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Tessera ${props.stage} ${id} execution role`,
    });
    const functionLogGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: props.logRemovalPolicy,
    });
    super(scope, id, {
      entry: path.resolve(PROJECT_ROOT, props.entry),
      handler: props.handler,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.description ? { description: props.description } : {}),
      role: executionRole,
      logGroup: functionLogGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      deadLetterQueue: props.deadLetterQueue,
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            securityGroups: [props.network.functionSecurityGroup],
          }
        : {}),
      environment: {
        STAGE: props.stage,
        POWERTOOLS_SERVICE_NAME: 'tessera',
        POWERTOOLS_METRICS_NAMESPACE: 'Tessera',
        NODE_OPTIONS: '--enable-source-maps',
        // Every table name (functions/lib/config.ts reads them all); what a function may do with a
        // table is decided by IAM, not by whether it knows the name.
        ...Object.fromEntries(TABLES.map((t) => [t.envVar, tableName(props.stage, t)])),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        // Bundle the AWS SDK: the pinned version, and only the clients this function imports.
        externalModules: [],
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings, not a copy of the sources: keeps the bundle small.
        sourcesContent: false,
        // Offline synth: always the local esbuild from node_modules, never Docker.
        forceDockerBundling: false,
      },
    });

    this.executionRole = executionRole;
    this.functionLogGroup = functionLogGroup;
    functionLogGroup.grantWrite(executionRole);
    props.network?.grantNetworkInterfaces(executionRole);
  }
}
