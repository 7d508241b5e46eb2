/**
 * Issue 15: the card-data environment's controlled egress to the card processor (ADR 0026). Only the
 * functions that call the processor get a route out, through an AWS Network Firewall that passes TLS
 * (and HTTP Host) to api.stripe.com and drops everything else, then a NAT gateway; the vault subnets
 * keep no route out. Asserted on synthesized templates (no bundling; cdk-nag runs on every synth),
 * with the flag on (prod's default) and off.
 */
import { type App, type CfnElement, NestedStack, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCde } from '../../infra/constructs/access.ts';
import { EGRESS_CIDRS, PROCESSOR_DOMAINS } from '../../infra/constructs/egress.ts';
import { callsProcessor } from '../../infra/constructs/network.ts';
import { jobs, queueConsumers } from '../../infra/jobs.ts';
import type { RouteAccess } from '../../infra/routes/index.ts';
import { routes } from '../../infra/routes/index.ts';
import { pageRoutes } from '../../infra/routes/pages.ts';
import type { TesseraStack } from '../../infra/stack.ts';
import { CDK_CONTEXT, offlineSynth } from '../support/synth.ts';

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DependsOn?: string[];
}

const { build, cleanup } = offlineSynth('tessera-egress-');
afterAll(cleanup);

const templates = new Map<Stack, Json>();
function templateOf(stack: Stack): Json {
  let found = templates.get(stack);
  if (!found) {
    found = Template.fromStack(stack).toJSON() as Json;
    templates.set(stack, found);
  }
  return found;
}
const resourcesOf = (stack: Stack) => templateOf(stack).Resources as Record<string, Resource>;
const nestedStacks = (root: Stack) =>
  root.node.findAll().filter((c): c is NestedStack => NestedStack.isNestedStack(c));
const allStacks = (root: Stack): Stack[] => [root, ...nestedStacks(root)];
const ofType = (root: Stack, type: string) =>
  allStacks(root).flatMap((s) =>
    Object.entries(resourcesOf(s))
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => ({ stack: s, id, resource: r })),
  );
const logicalId = (construct: IConstruct) => {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(element).getLogicalId(element);
};
const json = (value: unknown) => JSON.stringify(value);
/** The logical id behind a token that renders as a Ref in its own stack (a subnet or route table id). */
const refOf = (scope: IConstruct, token: string) =>
  (Stack.of(scope).resolve(token) as { Ref?: string }).Ref ?? never();

/**
 * Follows a value in a nested stack to the resource it names: a Ref to a parameter becomes the
 * parent's value for it, a GetAtt of a sibling's output becomes that output's value. Returns
 * [stack, logical id] of the resource at the end.
 */
function resolveRef(root: Stack, stack: Stack, value: unknown): [Stack, string] {
  const ref = (value as { Ref?: string }).Ref;
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (ref !== undefined) {
    if (resourcesOf(stack)[ref]) return [stack, ref];
    const nested = stack as NestedStack;
    const parent = Stack.of(nested.nestedStackResource ?? never());
    const owner = resourcesOf(parent)[logicalId(nested.nestedStackResource ?? never())] ?? never();
    return resolveRef(root, parent, (owner.Properties.Parameters as Json)[ref]);
  }
  if (getAtt?.[1].startsWith('Outputs.')) {
    const sibling = nestedStacks(root).find(
      (n) => n.nestedStackResource && logicalId(n.nestedStackResource) === getAtt[0],
    );
    if (!sibling) throw new Error(`no nested stack ${getAtt[0]}`);
    const outputs = templateOf(sibling).Outputs as Record<string, { Value: unknown }>;
    return resolveRef(root, sibling, outputs[getAtt[1].slice('Outputs.'.length)]?.Value);
  }
  if (getAtt && resourcesOf(stack)[getAtt[0]]) return [stack, getAtt[0]];
  throw new Error(`cannot resolve ${json(value)}`);
}

/** Every deployed function with the access it was built from. */
function functionsOf(stack: TesseraStack) {
  const table: Array<{ name: string; access: RouteAccess; fn: IConstruct | undefined }> = [
    ...[...routes, ...pageRoutes]
      .filter((r) => !r.localOnly)
      .map((r) => ({ name: r.operationId, access: r.access, fn: stack.api.functions.get(r.operationId) })),
    ...jobs.map((j) => ({ name: j.name, access: j.access, fn: stack.jobs.functions.get(j.name) })),
    ...queueConsumers.map((c) => ({
      name: c.name,
      access: c.access,
      fn: stack.collection.functions.get(c.name),
    })),
  ];
  return table.map(({ name, access, fn }) => ({ name, access, fn: fn ?? never() }));
}

/** The subnets (as [stack, logical id]) a function runs in, or [] outside a VPC. */
function subnetsOf(root: TesseraStack, fn: IConstruct): Array<[Stack, string]> {
  const stack = Stack.of(fn);
  const vpcConfig = resourcesOf(stack)[logicalId(fn)]?.Properties.VpcConfig as
    | { SubnetIds: unknown[] }
    | undefined;
  return (vpcConfig?.SubnetIds ?? []).map((id) => resolveRef(root, stack, id));
}

/** Routes by route table, as `destination -> target` strings with the target resolved to its type. */
function routeTables(stack: Stack) {
  const resources = resourcesOf(stack);
  const tables = new Map<string, string[]>();
  for (const [id, r] of Object.entries(resources)) if (r.Type === 'AWS::EC2::RouteTable') tables.set(id, []);
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::EC2::Route') continue;
    const table = (r.Properties.RouteTableId as { Ref: string }).Ref;
    const p = r.Properties;
    const target = p.GatewayId
      ? `igw:${(p.GatewayId as { Ref: string }).Ref}`
      : p.NatGatewayId
        ? `nat:${(p.NatGatewayId as { Ref: string }).Ref}`
        : p.VpcEndpointId
          ? `vpce:${json(p.VpcEndpointId)}`
          : json(p);
    tables.get(table)?.push(`${String(p.DestinationCidrBlock)} -> ${target}`);
  }
  return tables;
}

/** The route table of a subnet (through its association). */
function tableOfSubnet(stack: Stack, subnet: string): string {
  const association = Object.values(resourcesOf(stack)).find(
    (r) =>
      r.Type === 'AWS::EC2::SubnetRouteTableAssociation' &&
      (r.Properties.SubnetId as { Ref: string }).Ref === subnet,
  );
  return ((association ?? never()).Properties.RouteTableId as { Ref: string }).Ref;
}

const firewallEndpoint = (firewall: string) =>
  `vpce:${json({ 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [firewall, 'EndpointIds'] }] }] }] })}`;

function nagFindings(packs: NagPack[], app: App): string[] {
  return packs
    .flatMap((p) => p.validateScope(app).violations)
    .flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`));
}

function acknowledgementsOf(construct: IConstruct): Record<string, string> {
  const found: Record<string, string> = {};
  for (const c of construct.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) Object.assign(found, entry.data);
    }
  }
  return found;
}

/** An IPv4 CIDR as [first, last] address numbers. */
function range(cidr: string): [number, number] {
  const [ip = '', bits = '32'] = cidr.split('/');
  const start = ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  return [start, start + 2 ** (32 - Number(bits)) - 1];
}

describe('processor egress on (prod default)', () => {
  let app: App;
  let stack: TesseraStack;
  let packs: NagPack[];
  let egress: NestedStack;

  beforeAll(() => {
    ({ app, stack, packs } = build('prod'));
    egress = stack.vaultNetwork?.egress ?? never();
  }, 300_000);

  it('puts the egress in its own nested stack: one resource more in the parent', () => {
    expect(NestedStack.isNestedStack(egress)).toBe(true);
    const counts = allStacks(stack).map((s) => `${s.node.id} ${Object.keys(resourcesOf(s)).length}`);
    console.log(`prod resources with the egress: ${counts.join(', ')}`);
    // The parent holds none of the firewall, NAT, internet gateway, subnets or their routes.
    const parent = Object.values(resourcesOf(stack)).map((r) => r.Type);
    for (const type of [
      'AWS::NetworkFirewall::Firewall',
      'AWS::EC2::NatGateway',
      'AWS::EC2::InternetGateway',
      'AWS::EC2::EIP',
      'AWS::EC2::Route',
    ]) {
      expect(parent, type).not.toContain(type);
    }
  });

  it('passes exactly api.stripe.com (TLS SNI and HTTP Host) from the processor subnets, and drops the rest', () => {
    const groups = ofType(stack, 'AWS::NetworkFirewall::RuleGroup');
    expect(groups).toHaveLength(1);
    const group = (groups[0] ?? never()).resource.Properties;
    expect(group.Type).toBe('STATEFUL');
    expect(group.RuleGroup).toEqual({
      RuleVariables: { IPSets: { HOME_NET: { Definition: [...EGRESS_CIDRS.processor] } } },
      RulesSource: {
        RulesSourceList: {
          GeneratedRulesType: 'ALLOWLIST',
          Targets: ['api.stripe.com'],
          TargetTypes: ['TLS_SNI', 'HTTP_HOST'],
        },
      },
      StatefulRuleOptions: { RuleOrder: 'STRICT_ORDER' },
    });
    expect(PROCESSOR_DOMAINS).toEqual(['api.stripe.com']);

    const policies = ofType(stack, 'AWS::NetworkFirewall::FirewallPolicy');
    expect(policies).toHaveLength(1);
    expect((policies[0] ?? never()).resource.Properties.FirewallPolicy).toEqual({
      StatelessDefaultActions: ['aws:forward_to_sfe'],
      StatelessFragmentDefaultActions: ['aws:forward_to_sfe'],
      StatefulEngineOptions: { RuleOrder: 'STRICT_ORDER', StreamExceptionPolicy: 'DROP' },
      StatefulRuleGroupReferences: [
        { ResourceArn: { 'Fn::GetAtt': [(groups[0] ?? never()).id, 'RuleGroupArn'] }, Priority: 100 },
      ],
      // The default: whatever the allowlist did not pass is dropped, and alerted.
      StatefulDefaultActions: ['aws:drop_established', 'aws:alert_established'],
    });

    const firewalls = ofType(stack, 'AWS::NetworkFirewall::Firewall');
    expect(firewalls).toHaveLength(2);
    for (const { resource } of firewalls) {
      expect(resource.Properties.FirewallPolicyArn).toEqual({
        'Fn::GetAtt': [(policies[0] ?? never()).id, 'FirewallPolicyArn'],
      });
      expect(resource.Properties.DeleteProtection).toBe(true);
      expect(resource.Properties.SubnetMappings).toHaveLength(1);
    }
  });

  it('routes the processor subnets through the firewall, then NAT, then the internet gateway', () => {
    const tables = routeTables(egress);
    const resources = resourcesOf(egress);
    const subnets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::EC2::Subnet');
    const byCidr = (cidr: string) => subnets.find(([, r]) => r.Properties.CidrBlock === cidr)?.[0] ?? never();
    const igw = Object.entries(resources).find(([, r]) => r.Type === 'AWS::EC2::InternetGateway')?.[0];
    for (const [zone, processorCidr] of EGRESS_CIDRS.processor.entries()) {
      const firewallSubnet = byCidr(EGRESS_CIDRS.firewall[zone] ?? never());
      const publicSubnet = byCidr(EGRESS_CIDRS.public[zone] ?? never());
      const [firewallId] =
        Object.entries(resources).find(
          ([, r]) =>
            r.Type === 'AWS::NetworkFirewall::Firewall' &&
            json(r.Properties.SubnetMappings) === json([{ SubnetId: { Ref: firewallSubnet } }]),
        ) ?? never();
      const [natId, nat] =
        Object.entries(resources).find(
          ([, r]) =>
            r.Type === 'AWS::EC2::NatGateway' && json(r.Properties.SubnetId) === json({ Ref: publicSubnet }),
        ) ?? never();
      expect(nat.DependsOn).toContain('InternetGatewayAttachment');

      // processor subnet -> this zone's firewall endpoint
      expect(tables.get(tableOfSubnet(egress, byCidr(processorCidr)))).toEqual([
        `0.0.0.0/0 -> ${firewallEndpoint(firewallId)}`,
      ]);
      // firewall subnet -> this zone's NAT gateway
      expect(tables.get(tableOfSubnet(egress, firewallSubnet))).toEqual([`0.0.0.0/0 -> nat:${natId}`]);
      // NAT's public subnet -> the internet gateway; the way back to the processor subnet via the firewall
      expect(tables.get(tableOfSubnet(egress, publicSubnet))?.sort()).toEqual(
        [`0.0.0.0/0 -> igw:${igw}`, `${processorCidr} -> ${firewallEndpoint(firewallId)}`].sort(),
      );
    }
    for (const [, subnet] of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  it('keeps the vault subnets without any route out, and fits the egress subnets beside them', () => {
    const vpc = stack.vaultNetwork?.vpc ?? never();
    const isolated = vpc.isolatedSubnets;
    expect(isolated).toHaveLength(2);
    // No route of the parent (where the vault subnets' tables live) goes anywhere but the VPC:
    // the only route entries there are the DynamoDB gateway endpoint's, which AWS adds itself.
    expect(Object.values(resourcesOf(stack)).filter((r) => r.Type === 'AWS::EC2::Route')).toEqual([]);
    // And no egress route is written into a vault subnet's route table.
    const vaultTables = isolated.map((s) => refOf(s, s.routeTable.routeTableId));
    for (const { stack: owner, resource } of ofType(stack, 'AWS::EC2::Route')) {
      expect(owner).toBe(egress);
      const [tableStack, table] = resolveRef(stack, owner, resource.Properties.RouteTableId);
      expect(tableStack).toBe(egress);
      expect(vaultTables).not.toContain(table);
    }

    // Address plan: every egress subnet inside the VPC's /22, none overlapping a vault subnet or another.
    const cidrs = [
      ...isolated.map((s) => s.ipv4CidrBlock),
      ...EGRESS_CIDRS.processor,
      ...EGRESS_CIDRS.firewall,
      ...EGRESS_CIDRS.public,
    ].map(range);
    const [vpcStart, vpcEnd] = range('10.40.0.0/22');
    expect(resourcesOf(stack)[logicalId(vpc)]?.Properties.CidrBlock).toBe('10.40.0.0/22');
    cidrs.forEach(([start, end], i) => {
      expect(start >= vpcStart && end <= vpcEnd).toBe(true);
      for (const [otherStart, otherEnd] of cidrs.slice(i + 1))
        expect(end < otherStart || start > otherEnd).toBe(true);
    });
  });

  it('runs the processor callers (charger, withdrawals) in the processor subnets and every other CDE function in the vault subnets', () => {
    const processorSubnets = (stack.vaultNetwork?.egress?.processorSubnets ?? []).map((s) =>
      refOf(s, s.subnetId),
    );
    const vaultSubnets = (stack.vaultNetwork?.vpc.isolatedSubnets ?? []).map((s) => refOf(s, s.subnetId));
    const placed = functionsOf(stack).map(({ name, access, fn }) => ({
      name,
      access,
      subnets: subnetsOf(stack, fn),
    }));
    const callers = placed.filter((f) => inCde(f.access) && callsProcessor(f.access)).map((f) => f.name);
    expect(callers.sort()).toEqual(['collection-charger', 'createWithdrawal']);
    for (const { name, access, subnets } of placed) {
      if (!inCde(access)) {
        expect(subnets, name).toEqual([]);
        continue;
      }
      const expected = callsProcessor(access) ? [egress, processorSubnets] : [stack, vaultSubnets];
      expect(
        subnets.map(([s]) => s),
        name,
      ).toEqual([expected[0], expected[0]]);
      expect(subnets.map(([, id]) => id).sort(), name).toEqual([...(expected[1] as string[])].sort());
    }
    // The vault's own functions are among the isolated ones.
    for (const name of ['addCard', 'rewrapVault']) {
      expect(placed.find((f) => f.name === name)?.subnets.map(([s]) => s)).toEqual([stack, stack]);
    }
  });

  it('lets the processor subnets reach DynamoDB through the gateway endpoint, not the firewall', () => {
    const endpoint = Object.values(resourcesOf(stack)).find(
      (r) => r.Type === 'AWS::EC2::VPCEndpoint' && json(r.Properties.ServiceName).includes('dynamodb'),
    );
    const tables = ((endpoint ?? never()).Properties.RouteTableIds as unknown[]).map((t) =>
      resolveRef(stack, stack, t),
    );
    const processorTables = (stack.vaultNetwork?.egress?.processorSubnets ?? []).map((s) =>
      refOf(s, s.routeTable.routeTableId),
    );
    expect(
      tables
        .filter(([s]) => s === egress)
        .map(([, id]) => id)
        .sort(),
    ).toEqual(processorTables.sort());
    expect(tables.filter(([s]) => s === stack)).toHaveLength(2);
  });

  it('logs alerts and flows of each firewall to log groups under the ops key, kept a year', () => {
    const groups = Object.entries(resourcesOf(egress)).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(2);
    for (const [, group] of groups) {
      expect(group.Properties.RetentionInDays).toBe(365);
      expect(resolveRef(stack, egress, group.Properties.KmsKeyId)).toEqual([
        stack,
        logicalId(stack.keys.ops),
      ]);
      expect(json(group.Properties.LogGroupName)).toContain('/aws/vendedlogs/');
    }
    const [alert, flow] = ['AlertLogs', 'FlowLogs'].map(
      (name) => groups.find(([id]) => id.startsWith(name))?.[0] ?? never(),
    );
    const logging = Object.values(resourcesOf(egress)).filter(
      (r) => r.Type === 'AWS::NetworkFirewall::LoggingConfiguration',
    );
    expect(logging).toHaveLength(2);
    const firewalls = Object.entries(resourcesOf(egress))
      .filter(([, r]) => r.Type === 'AWS::NetworkFirewall::Firewall')
      .map(([id]) => id);
    expect(
      logging.map((l) => (l.Properties.FirewallArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]).sort(),
    ).toEqual(firewalls.sort());
    for (const config of logging) {
      expect((config.Properties.LoggingConfiguration as Json).LogDestinationConfigs).toEqual([
        {
          LogType: 'ALERT',
          LogDestinationType: 'CloudWatchLogs',
          LogDestination: { logGroup: { Ref: alert } },
        },
        {
          LogType: 'FLOW',
          LogDestinationType: 'CloudWatchLogs',
          LogDestination: { logGroup: { Ref: flow } },
        },
      ]);
    }
  });

  it('lets the vault VPC resolve api.stripe.com, between the AWS names and the block-all rule', () => {
    const rules = Object.values(resourcesOf(stack)).find(
      (r) => r.Type === 'AWS::Route53Resolver::FirewallRuleGroup',
    )?.Properties.FirewallRules as Json[];
    expect(rules.map((r) => [r.Action, r.Priority])).toEqual([
      ['ALLOW', 1],
      ['ALLOW', 2],
      ['BLOCK', 100],
    ]);
    const [listStack, list] = resolveRef(stack, stack, (rules[1] ?? never()).FirewallDomainListId);
    expect(listStack).toBe(egress);
    expect(resourcesOf(egress)[list]?.Properties.Domains).toEqual(['api.stripe.com']);
    expect((rules[1] ?? never()).FirewallDomainRedirectionAction).toBe('TRUST_REDIRECTION_DOMAIN');
    // The AWS service list does not gain the processor (it stays the endpoints' names only).
    const [, awsList] = resolveRef(stack, stack, (rules[0] ?? never()).FirewallDomainListId);
    expect(json(resourcesOf(stack)[awsList]?.Properties.Domains)).not.toContain('stripe');
  });

  it('has zero cdk-nag findings, the internet route acknowledged with its reason', () => {
    expect(nagFindings(packs, app)).toEqual([]);
    // CDK records the id qualified (`Annotation::<id>`).
    const acks = Object.entries(acknowledgementsOf(egress));
    expect(acks.map(([id]) => id.replace(/^Annotation::/, ''))).toEqual([
      'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW',
    ]);
    expect(acks[0]?.[1]).toMatch(/only the NAT gateway/);
  });
});

describe('the card processor of live mode', () => {
  it('prod refuses to synthesize with the sandbox processor (live mode never runs on it)', () => {
    expect(() => build('prod', { cardProcessor: 'sandbox' })).toThrow(
      /Tessera-prod is live mode .* refuses to deploy with the sandbox card processor/,
    );
  });
});

describe('processor egress off', () => {
  it('prod with processorEgress=false: no firewall, NAT, internet gateway or route out; a synth warning', () => {
    const { app, stack, packs } = build('prod', { processorEgress: 'false' });
    expect(stack.vaultNetwork?.egress).toBeUndefined();
    for (const type of [
      'AWS::NetworkFirewall::Firewall',
      'AWS::NetworkFirewall::FirewallPolicy',
      'AWS::NetworkFirewall::RuleGroup',
      'AWS::NetworkFirewall::LoggingConfiguration',
      'AWS::EC2::NatGateway',
      'AWS::EC2::InternetGateway',
      'AWS::EC2::EIP',
      'AWS::EC2::Route',
    ]) {
      expect(ofType(stack, type), type).toEqual([]);
    }
    expect(ofType(stack, 'AWS::EC2::Subnet')).toHaveLength(2);
    const rules = Object.values(resourcesOf(stack)).find(
      (r) => r.Type === 'AWS::Route53Resolver::FirewallRuleGroup',
    )?.Properties.FirewallRules as Json[];
    expect(rules.map((r) => r.Action)).toEqual(['ALLOW', 'BLOCK']);
    expect(
      json(ofType(stack, 'AWS::Route53Resolver::FirewallDomainList').map((l) => l.resource)),
    ).not.toContain('stripe');
    // The charger stays in the isolated subnets, with everything else in the CDE.
    for (const { access, fn } of functionsOf(stack)) {
      if (inCde(access)) expect(subnetsOf(stack, fn).map(([s]) => s)).toEqual([stack, stack]);
    }
    const warnings = stack.node.metadata
      .filter((m) => m.type === 'aws:cdk:warning')
      .map((m) => String(m.data));
    expect(warnings.join('\n')).toMatch(/processorEgress is off/);
    expect(nagFindings(packs, app)).toEqual([]);
  }, 300_000);

  it('dev follows cdk.json (off, sandbox processor); on by request, with dev retention and no delete protection', () => {
    expect(CDK_CONTEXT.processorEgress).toEqual({ dev: false, prod: true });
    const off = build('dev');
    expect(off.stack.vaultNetwork?.egress).toBeUndefined();
    expect(ofType(off.stack, 'AWS::NetworkFirewall::Firewall')).toEqual([]);
    // Off with the sandbox processor is no warning: nothing needs the route.
    expect(json(off.stack.node.metadata)).not.toContain('processorEgress');

    const on = build('dev', { processorEgress: { dev: true } });
    const egress = on.stack.vaultNetwork?.egress ?? never();
    expect(
      ofType(on.stack, 'AWS::NetworkFirewall::Firewall').map((f) => f.resource.Properties.DeleteProtection),
    ).toEqual([false, false]);
    for (const r of Object.values(resourcesOf(egress)).filter((r) => r.Type === 'AWS::Logs::LogGroup')) {
      expect(r.Properties.RetentionInDays).toBe(30);
    }
    expect(nagFindings(on.packs, on.app)).toEqual([]);
  }, 300_000);

  it('refuses a flag that is not a boolean or names an unknown stage', () => {
    expect(() => build('dev', { processorEgress: 'yes' })).toThrow(/processorEgress must be true or false/);
    expect(() => build('dev', { processorEgress: { staging: true } })).toThrow(/unknown stage staging/);
  });
});

function never(): never {
  throw new Error('unreachable');
}
