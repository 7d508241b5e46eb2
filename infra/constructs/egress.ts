import { Aws, Fn, NestedStack, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  CfnInternetGateway,
  CfnVPCGatewayAttachment,
  PrivateSubnet,
  PublicSubnet,
  RouterType,
  type Subnet,
} from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  CfnFirewall,
  CfnFirewallPolicy,
  CfnLoggingConfiguration,
  CfnRuleGroup,
} from 'aws-cdk-lib/aws-networkfirewall';
import { CfnFirewallDomainList } from 'aws-cdk-lib/aws-route53resolver';
import type { Construct } from 'constructs';

/**
 * The only names the card processor adapter calls (functions/payments/stripe.ts: the official
 * `stripe` SDK talks to its default host, api.stripe.com, over HTTPS).
 */
export const PROCESSOR_DOMAINS = ['api.stripe.com'] as const;

/**
 * The egress subnets, per availability zone, inside the vault VPC's 10.40.0.0/22: the isolated
 * vault subnets hold 10.40.0.0/23 (two /24s, allocated by CDK), the egress path the upper half.
 */
export const EGRESS_CIDRS = {
  /** The functions that call the processor (their default route goes to the firewall). */
  processor: ['10.40.2.0/25', '10.40.2.128/25'],
  /** The Network Firewall endpoints (their default route goes to the NAT gateway). */
  firewall: ['10.40.3.0/28', '10.40.3.16/28'],
  /** The NAT gateways (default route to the internet gateway; processor traffic back via the firewall). */
  public: ['10.40.3.32/28', '10.40.3.48/28'],
} as const;

export interface ProcessorEgressProps {
  stage: string;
  vpcId: string;
  /** The vault VPC's availability zones, in its order (one egress path per zone, two at most). */
  availabilityZones: string[];
  logKey: IKey;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
  /** Network Firewall delete protection (prod): turning the egress off then needs one CLI call first. */
  deleteProtection: boolean;
}

/**
 * Controlled egress from the cardholder data environment to the card processor, in a nested stack
 * of its own (the parent is near CloudFormation's 500 resources). Per availability zone:
 *
 *   processor subnet --0.0.0.0/0--> firewall endpoint --0.0.0.0/0--> NAT gateway --> internet gateway
 *   (and back: the public subnet routes the processor subnet's CIDR to the same firewall endpoint)
 *
 * One AWS Network Firewall per zone (same price as one firewall with two endpoints, and its single
 * endpoint id needs no lookup: the `EndpointIds` of a multi-zone firewall come in no fixed order).
 * The stateful policy runs in strict order: the one rule group passes TLS (SNI) and HTTP (Host) to
 * PROCESSOR_DOMAINS from the processor subnets only, and the default action drops (and alerts on)
 * every other established flow. Alert and flow logs go to log groups under the ops key, kept like
 * every other log (a year in prod, PCI DSS 10.5.1). The vault subnets are not touched: they keep
 * no route out. Design and cost: docs/adr/0026-processor-egress.md.
 */
export class ProcessorEgress extends NestedStack {
  /** Where the functions that call the processor run (one per zone). */
  readonly processorSubnets: Subnet[] = [];
  readonly firewalls: CfnFirewall[] = [];
  readonly ruleGroup: CfnRuleGroup;
  readonly policy: CfnFirewallPolicy;
  readonly alertLogs: LogGroup;
  readonly flowLogs: LogGroup;
  /** For the vault VPC's DNS firewall: the processor names it must resolve. */
  readonly dnsDomains: CfnFirewallDomainList;

  constructor(scope: Construct, id: string, props: ProcessorEgressProps) {
    super(scope, id, {
      description: `Tessera ${props.stage}: card processor egress (Network Firewall, NAT)`,
    });
    const zones = props.availabilityZones.slice(0, EGRESS_CIDRS.processor.length);
    const processorCidrs = EGRESS_CIDRS.processor.slice(0, zones.length);

    this.ruleGroup = new CfnRuleGroup(this, 'ProcessorDomains', {
      ruleGroupName: `tessera-${props.stage}-processor-domains`,
      description: 'Passes TLS (SNI) and HTTP (Host) to the card processor API from the processor subnets',
      type: 'STATEFUL',
      // Fixed at creation; a domain list rule costs about two units per name and target type.
      capacity: 100,
      ruleGroup: {
        // The generated pass rules match traffic from HOME_NET only: the processor subnets.
        ruleVariables: { ipSets: { HOME_NET: { definition: processorCidrs } } },
        rulesSource: {
          rulesSourceList: {
            generatedRulesType: 'ALLOWLIST',
            targets: [...PROCESSOR_DOMAINS],
            targetTypes: ['TLS_SNI', 'HTTP_HOST'],
          },
        },
        statefulRuleOptions: { ruleOrder: 'STRICT_ORDER' },
      },
    });
    this.policy = new CfnFirewallPolicy(this, 'Policy', {
      firewallPolicyName: `tessera-${props.stage}-processor-egress`,
      description:
        'Card processor egress: the processor domains pass, everything else is dropped and alerted',
      firewallPolicy: {
        // Nothing is decided statelessly: every packet goes to the stateful engine.
        statelessDefaultActions: ['aws:forward_to_sfe'],
        statelessFragmentDefaultActions: ['aws:forward_to_sfe'],
        statefulEngineOptions: { ruleOrder: 'STRICT_ORDER', streamExceptionPolicy: 'DROP' },
        statefulRuleGroupReferences: [{ resourceArn: this.ruleGroup.attrRuleGroupArn, priority: 100 }],
        // drop_established (not drop_strict): the TCP handshake must pass for the SNI to be seen.
        statefulDefaultActions: ['aws:drop_established', 'aws:alert_established'],
      },
    });

    // Vended-log names (/aws/vendedlogs/) keep the account's CloudWatch Logs resource policy small;
    // the nested stack's own name makes them unique, so the flag can go off and on again in prod.
    const logGroup = (kind: 'alert' | 'flow') =>
      new LogGroup(this, kind === 'alert' ? 'AlertLogs' : 'FlowLogs', {
        logGroupName: `/aws/vendedlogs/${Aws.STACK_NAME}/${kind}`,
        retention: props.logRetention,
        encryptionKey: props.logKey,
        removalPolicy: props.logRemovalPolicy,
      });
    this.alertLogs = logGroup('alert');
    this.flowLogs = logGroup('flow');

    this.dnsDomains = new CfnFirewallDomainList(this, 'DnsProcessorDomains', {
      name: `tessera-${props.stage}-vault-processor`,
      domains: [...PROCESSOR_DOMAINS],
    });

    const igw = new CfnInternetGateway(this, 'InternetGateway');
    const attachment = new CfnVPCGatewayAttachment(this, 'InternetGatewayAttachment', {
      vpcId: props.vpcId,
      internetGatewayId: igw.ref,
    });
    zones.forEach((zone, index) => {
      this.addZone(props, zone, index, igw.ref, attachment);
    });
  }

  /** One zone's processor, firewall and public subnets, its firewall, NAT gateway and routes. */
  private addZone(
    props: ProcessorEgressProps,
    availabilityZone: string,
    index: number,
    igwId: string,
    attachment: CfnVPCGatewayAttachment,
  ): void {
    const n = index + 1;
    const subnet = { vpcId: props.vpcId, availabilityZone, mapPublicIpOnLaunch: false };
    const processorCidr = EGRESS_CIDRS.processor[index] as string;
    const processor = new PrivateSubnet(this, `ProcessorSubnet${n}`, { ...subnet, cidrBlock: processorCidr });
    const inspection = new PrivateSubnet(this, `FirewallSubnet${n}`, {
      ...subnet,
      cidrBlock: EGRESS_CIDRS.firewall[index] as string,
    });
    const nat = new PublicSubnet(this, `PublicSubnet${n}`, {
      ...subnet,
      cidrBlock: EGRESS_CIDRS.public[index] as string,
    });

    const firewall = new CfnFirewall(this, `Firewall${n}`, {
      firewallName: `tessera-${props.stage}-processor-egress-${n}`,
      description: `Card processor egress, zone ${n}`,
      firewallPolicyArn: this.policy.attrFirewallPolicyArn,
      vpcId: props.vpcId,
      subnetMappings: [{ subnetId: inspection.subnetId }],
      deleteProtection: props.deleteProtection,
    });
    new CfnLoggingConfiguration(this, `Firewall${n}Logging`, {
      firewallArn: firewall.attrFirewallArn,
      loggingConfiguration: {
        logDestinationConfigs: [
          {
            logType: 'ALERT',
            logDestinationType: 'CloudWatchLogs',
            logDestination: { logGroup: this.alertLogs.logGroupName },
          },
          {
            logType: 'FLOW',
            logDestinationType: 'CloudWatchLogs',
            logDestination: { logGroup: this.flowLogs.logGroupName },
          },
        ],
      },
    });
    // A one-subnet firewall has exactly one endpoint id, "<zone>:<vpce-id>".
    const endpointId = Fn.select(1, Fn.split(':', Fn.select(0, firewall.attrEndpointIds)));

    nat.addDefaultInternetRoute(igwId, attachment);
    const natGateway = nat.addNatGateway();
    // A NAT gateway needs the internet gateway attached before it can be created.
    natGateway.addResourceDependency(attachment);
    Validations.of(nat).acknowledge({
      id: 'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW',
      reason:
        'This public subnet holds only the NAT gateway of the card processor egress. Nothing reaches it but ' +
        'traffic the Network Firewall passed (TLS/HTTP to the processor domains), and no inbound connection ' +
        'can be opened through a NAT gateway. The vault subnets have no route here (asserted in test/infra).',
    });
    // Return traffic to the processor subnet passes the same firewall endpoint (symmetric routing).
    nat.addRoute('ProcessorViaFirewall', {
      routerType: RouterType.VPC_ENDPOINT,
      routerId: endpointId,
      destinationCidrBlock: processorCidr,
    });
    inspection.addDefaultNatRoute(natGateway.ref);
    processor.addRoute('DefaultViaFirewall', {
      routerType: RouterType.VPC_ENDPOINT,
      routerId: endpointId,
      destinationCidrBlock: '0.0.0.0/0',
      enablesInternetConnectivity: true,
    });
    this.processorSubnets.push(processor);
    this.firewalls.push(firewall);
  }
}
