/**
 * Issue 12: operators tune account monitoring per stage from CDK (context `riskConfig`, ADR 0034).
 * The config reaches every function that assesses risk, and only those; an invalid one fails synth
 * with a message naming the stage, the source and the offending setting. Offline synth (no bundling;
 * cdk-nag runs).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TesseraStack } from '../../infra/stack.ts';
import { offlineSynth } from '../support/synth.ts';

const { build, cleanup } = offlineSynth('tessera-risk-config-');
const dir = mkdtempSync(path.join(tmpdir(), 'tessera-risk-file-'));
afterAll(() => {
  cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Every function of the stack by name: routes by operationId, then jobs, consumers and stream consumers. */
function functionsOf(stack: TesseraStack): Map<string, LambdaFunction> {
  return new Map<string, LambdaFunction>([
    ...stack.api.functions,
    ...stack.jobs.functions,
    ...stack.collection.functions,
    ['riskStream', stack.riskStream.fn],
    ['ledgerFeed', stack.ledgerFeed.fn],
  ]);
}

const templates = new Map<Stack, Template>();
function environmentOf(fn: LambdaFunction): Record<string, unknown> {
  const stack = Stack.of(fn);
  let template = templates.get(stack);
  if (!template) {
    template = Template.fromStack(stack);
    templates.set(stack, template);
  }
  const element = fn.node.defaultChild as CfnElement;
  const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
  const props = resources[stack.getLogicalId(element)]?.Properties;
  return (props?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
}

/** The functions that assess risk in real time, and the stream consumer that applies rules too. */
const ASSESSING = [
  'createSession', // sign-in
  'createMfaCode', // a sign-in code sent by SMS (otp_send)
  'startStepUp', // a step-up code sent by SMS (otp_send)
  'startContactVerification', // a code to the phone being verified (otp_send)
  'addCard',
  'createWithdrawal',
  'createCreditApplication',
  'authorizeCheckoutSession',
  'riskStream',
];
/**
 * Functions with no risk rule in their bundle. (A route shares its entry file's bundle: getBalance
 * sits beside createWithdrawal in functions/balance/handler.ts, so it carries the variable too.)
 */
const NOT_ASSESSING = ['getHealth', 'listOrders', 'openMySupportConversation', 'ledgerFeed'];

describe('RISK_CONFIG per stage from CDK (context riskConfig)', { timeout: 300_000 }, () => {
  const prod = { reviewAt: 60, rules: { checkout_velocity_1h: { max: 8, score: 40 } } };
  let dev: TesseraStack;
  let prodStack: TesseraStack;
  beforeAll(() => {
    const file = path.join(dir, 'dev.json');
    writeFileSync(file, JSON.stringify({ declineAt: 120, rules: { card_testing: { onReview: 'hold' } } }));
    const context = { riskConfig: { dev: file, prod } };
    dev = build('dev', context).stack;
    // prod runs the Stripe processor in this stack; its other defaults do not matter here.
    prodStack = build('prod', { ...context, securityBaseline: false }).stack;
  });

  it('puts the stage config (a file for dev, an object for prod) into every function that assesses risk, and no other', () => {
    for (const [stack, expected] of [
      [dev, { declineAt: 120, rules: { card_testing: { onReview: 'hold' } } }],
      [prodStack, prod],
    ] as const) {
      const functions = functionsOf(stack);
      for (const name of ASSESSING) {
        const fn = functions.get(name);
        expect(fn, name).toBeDefined();
        const value = environmentOf(fn as LambdaFunction).RISK_CONFIG;
        expect(typeof value, `${name} has RISK_CONFIG`).toBe('string');
        expect(JSON.parse(String(value)), name).toEqual(expected);
      }
      for (const name of NOT_ASSESSING) {
        expect(functions.get(name), name).toBeDefined();
        expect(environmentOf(functions.get(name) as LambdaFunction), name).not.toHaveProperty('RISK_CONFIG');
      }
      // Whatever else has it has exactly this stage's value.
      for (const [name, fn] of functions) {
        const value = environmentOf(fn).RISK_CONFIG;
        if (value !== undefined) expect(JSON.parse(String(value)), name).toEqual(expected);
      }
    }
  });

  it('sets no RISK_CONFIG where the stage has none (the code defaults apply)', () => {
    const stack = build('dev', { riskConfig: { prod: { reviewAt: 70 } } }).stack;
    for (const [name, fn] of functionsOf(stack)) {
      expect(environmentOf(fn), name).not.toHaveProperty('RISK_CONFIG');
    }
  });

  it('takes one file or JSON text for the stage synthesized (-c riskConfig=…)', () => {
    const text = build('dev', { riskConfig: '{"enabled":false}' }).stack;
    expect(environmentOf(text.api.functions.get('addCard') as LambdaFunction).RISK_CONFIG).toBe(
      '{"enabled":false}',
    );
  });

  it.each([
    [
      'a threshold out of range',
      { dev: { reviewAt: -5 } },
      /riskConfig\.dev is not a valid RISK_CONFIG:[\s\S]*reviewAt/,
    ],
    [
      'a wrong type in a rule',
      { dev: { rules: { card_testing: { min: 'five' } } } },
      /riskConfig\.dev is not a valid RISK_CONFIG:[\s\S]*rules\.card_testing\.min/,
    ],
    [
      'an unknown onReview',
      { dev: { rules: { shared_card: { onReview: 'ignore' } } } },
      /riskConfig\.dev is not a valid RISK_CONFIG:[\s\S]*rules\.shared_card\.onReview/,
    ],
    [
      'a review threshold at or above the decline threshold (no total could be a review)',
      { dev: { reviewAt: 80, declineAt: 80 } },
      /riskConfig\.dev is not a valid RISK_CONFIG:[\s\S]*reviewAt must be below declineAt/,
    ],
    [
      'a misspelled rule (it would silently keep its default)',
      { dev: { rules: { checkout_velocity_1hr: { max: 3 } } } },
      /riskConfig\.dev is not a valid RISK_CONFIG: unknown key rules\.checkout_velocity_1hr/,
    ],
    [
      'a misspelled setting',
      { dev: { reviewAT: 60, rules: { amount_spike: { ratios: 3 } } } },
      /unknown keys reviewAT, rules\.amount_spike\.ratios/,
    ],
    [
      'a config not keyed by stage',
      { reviewAt: 60 },
      /riskConfig is keyed by stage \(dev, prod\); unknown: reviewAt/,
    ],
    ['a file that is not there', { dev: 'config/risk/nowhere.json' }, /riskConfig\.dev: no such file/],
    ['JSON text that does not parse', '{"reviewAt":', /riskConfig is not valid JSON/],
  ])('fails synth on %s, with a clear message', (_what, riskConfig, message) => {
    expect(() => build('dev', { riskConfig })).toThrow(message);
  });

  it('names the file of an invalid stage config', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ declineAt: 5000 }));
    expect(() => build('dev', { riskConfig: { dev: file } })).toThrow(
      new RegExp(
        `riskConfig\\.dev \\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) is not a valid RISK_CONFIG:[\\s\\S]*declineAt`,
      ),
    );
  });
});
