import {
  App,
  type AppProps,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { PROJECT_ROOT } from './constructs/function.ts';
import { riskConfigContext } from './risk-config.ts';
import { STAGES, type Stage, TesseraStack } from './stack.ts';

export interface BuildAppOptions {
  /** Overrides the `stage` context (`-c stage=prod`); defaults to the context, then `dev`. */
  stage?: Stage;
  appProps?: AppProps;
}

export interface TesseraApp {
  app: App;
  stack: TesseraStack;
  /** The registered cdk-nag packs, for tests that count what they report. */
  packs: NagPack[];
}

/**
 * The CDK app: one `Tessera-<stage>` stack plus the AwsSolutions, PCI DSS 3.2.1 and Serverless
 * cdk-nag packs. An unacknowledged cdk-nag error fails synthesis (exit 1); warnings are reported.
 */
export function buildApp(options: BuildAppOptions = {}): TesseraApp {
  const app = new App(options.appProps);
  const stage = options.stage ?? parseStage(app.node.tryGetContext('stage'));
  const notifyFromAddress: unknown = app.node.tryGetContext('notifyFromAddress');
  const alarmSubscribers = listContext(app.node.tryGetContext('alarmSubscribers'));
  const securityBaseline = flagContext(app.node.tryGetContext('securityBaseline'), 'securityBaseline');
  const merchantApiKeys = flagContext(app.node.tryGetContext('merchantApiKeys'), 'merchantApiKeys');
  const processorEgress = stageFlagContext(
    app.node.tryGetContext('processorEgress'),
    'processorEgress',
    stage,
  );
  const riskConfig = riskConfigContext(app.node.tryGetContext('riskConfig'), stage, STAGES, PROJECT_ROOT);
  const cardProcessor: unknown = app.node.tryGetContext('cardProcessor');
  if (cardProcessor !== undefined && cardProcessor !== 'sandbox' && cardProcessor !== 'stripe') {
    throw new Error(`Unknown cardProcessor "${String(cardProcessor)}": use -c cardProcessor=sandbox|stripe`);
  }
  const stack = new TesseraStack(app, `Tessera-${stage}`, {
    stage,
    ...(typeof notifyFromAddress === 'string' ? { notifyFromAddress } : {}),
    ...(alarmSubscribers ? { alarmSubscribers } : {}),
    ...(securityBaseline === undefined ? {} : { securityBaseline }),
    ...(merchantApiKeys === undefined ? {} : { merchantApiKeys }),
    ...(cardProcessor === undefined ? {} : { cardProcessor }),
    ...(processorEgress === undefined ? {} : { processorEgress }),
    ...(riskConfig ? { riskConfig } : {}),
  });
  const packs: NagPack[] = [new AwsSolutionsChecks(app), new PCIDSS321Checks(app), new ServerlessChecks(app)];
  Validations.of(app).addPlugins(...packs.map((pack) => new FailOnErrorsOnly(pack)));
  return { app, stack, packs };
}

/**
 * CDK fails synthesis when a plugin reports `success: false`, and a NagPack reports that for
 * warnings too. Only cdk-nag errors should stop a synth; warnings stay visible in the report.
 */
class FailOnErrorsOnly implements IPolicyValidationPlugin {
  readonly name: string;
  readonly version?: string;
  readonly ruleIds?: string[];
  private readonly pack: NagPack;

  constructor(pack: NagPack) {
    this.pack = pack;
    this.name = pack.name;
    if (pack.version !== undefined) this.version = pack.version;
    if (pack.ruleIds !== undefined) this.ruleIds = pack.ruleIds;
  }

  validate(context: IPolicyValidationContext) {
    const report = this.pack.validate(context);
    return { ...report, success: !report.violations.some((v) => v.severity === 'error') };
  }
}

/** A list from context: a JSON array (cdk.json) or a comma-separated string (`-c a=x,y`). */
function listContext(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : String(value).split(',');
  return list.map((item) => String(item).trim()).filter((item) => item.length > 0);
}

/** A boolean from context: true/false in cdk.json, "true"/"false" from `-c`. */
function flagContext(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`${name} must be true or false, not "${String(value)}"`);
}

/**
 * A flag per stage: one value for every stage (`-c processorEgress=false`) or an object by stage
 * (cdk.json: `{ "dev": false, "prod": true }`); a stage the object does not name takes the default.
 */
function stageFlagContext(value: unknown, name: string, stage: Stage): boolean | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const unknown = Object.keys(value).filter((key) => !STAGES.includes(key as Stage));
    if (unknown.length > 0) throw new Error(`${name}: unknown stage ${unknown.join(', ')}`);
    return flagContext((value as Record<string, unknown>)[stage], `${name}.${stage}`);
  }
  return flagContext(value, name);
}

function parseStage(value: unknown): Stage {
  const stage = value ?? 'dev';
  if (!STAGES.includes(stage as Stage)) {
    throw new Error(`Unknown stage "${String(stage)}": use -c stage=${STAGES.join('|')}`);
  }
  return stage as Stage;
}

if (import.meta.main) {
  buildApp().app.synth();
}
