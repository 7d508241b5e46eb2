import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  type InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { AnyPrincipal, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  CfnFirewallDomainList,
  CfnFirewallRuleGroup,
  CfnFirewallRuleGroupAssociation,
  CfnResolverQueryLoggingConfig,
  CfnResolverQueryLoggingConfigAssociation,
} from 'aws-cdk-lib/aws-route53resolver';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RouteAccess } from '../routes/index.ts';
import { ProcessorEgress } from './egress.ts';
import { LeastPrivilegeRole } from './iam.ts';

/** The AWS services the CDE reaches (through its endpoints): the only names its DNS resolves. */
const VAULT_SERVICES = ['dynamodb', 'kms', 'secretsmanager', 'xray'];

export interface VaultNetworkProps {
  stage: string;
  logKey: IKey;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
  /**
   * Builds the controlled route to the card processor (ProcessorEgress, a nested stack): processor
   * subnets whose only way out passes an AWS Network Firewall that admits the processor's API
   * domains. Off: no route out at all (context `processorEgress`, docs/adr/0026-processor-egress.md).
   */
  processorEgress?: boolean;
  /** Firewall delete protection (prod). */
  deleteProtection?: boolean;
}

/** A function that holds the processor's API key calls the processor: in the CDE it needs the egress. */
export const callsProcessor = (access: RouteAccess): boolean =>
  (access.secrets ?? []).includes('processor-api-key');

/** Item-level DynamoDB actions the CDE may perform through its endpoint (no table admin). */
const DYNAMODB_ITEM_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:UpdateItem',
];

/**
 * The cardholder data environment's network: isolated subnets (no internet gateway, no NAT),
 * reaching AWS only through VPC endpoints whose policies name the exact tables, keys and secrets
 * the vault functions use; anything else is unreachable from inside, even with stolen credentials.
 * With `processorEgress`, the functions that call the card processor run in subnets of their own
 * whose one route out passes a Network Firewall admitting the processor's domains only (egress.ts).
 * VPC flow logs record all traffic and Route 53 Resolver query logs every DNS query (PCI DSS 10);
 * a DNS firewall resolves only the AWS service names the endpoints serve (PCI DSS 1.3.2).
 */
export class VaultNetwork extends Construct {
  readonly vpc: Vpc;
  readonly subnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_ISOLATED };
  /** Where the functions that call the processor run: the egress subnets, else the isolated ones. */
  readonly processorSubnets: SubnetSelection;
  /** The controlled route to the card processor, when `processorEgress` is on. */
  readonly egress?: ProcessorEgress;
  /** Attached to every vault function: HTTPS out, nothing in. */
  readonly functionSecurityGroup: SecurityGroup;
  private readonly endpointSecurityGroup: SecurityGroup;
  // Endpoints are created on first use, each with a policy naming exactly what was allowed.
  private dynamoDbPolicy?: PolicyStatement;
  private kms?: InterfaceVpcEndpoint;
  private readonly kmsPolicies = new Map<string, PolicyStatement>();
  private secretsPolicy?: PolicyStatement;

  constructor(scope: Construct, id: string, props: VaultNetworkProps) {
    super(scope, id);
    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/22'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'vault', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // CDK restricts the default group through a custom-resource Lambda, which would itself sit
      // outside every control here; nothing uses the default group (see the acknowledgement).
      restrictDefaultSecurityGroup: false,
    });
    Validations.of(this.vpc).acknowledge({
      id: 'PCI.DSS.321-VPCDefaultSecurityGroupClosed',
      reason:
        'No resource is attached to the default security group: vault functions and endpoints have their own ' +
        'groups. Closing it needs a custom-resource Lambda, which would add an unmanaged function to the CDE.',
    });

    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: props.logRemovalPolicy,
    });
    const flowLogRole = new LeastPrivilegeRole(this, 'FlowLogRole', {
      assumedBy: new ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Tessera ${props.stage} vault VPC flow logs delivery`,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(flowLogs, flowLogRole),
      trafficType: FlowLogTrafficType.ALL,
    });

    if (props.processorEgress) {
      this.egress = new ProcessorEgress(this, 'ProcessorEgress', {
        stage: props.stage,
        vpcId: this.vpc.vpcId,
        availabilityZones: this.vpc.availabilityZones,
        logKey: props.logKey,
        logRetention: props.logRetention,
        logRemovalPolicy: props.logRemovalPolicy,
        deleteProtection: props.deleteProtection ?? false,
      });
    }
    this.processorSubnets = this.egress ? { subnets: this.egress.processorSubnets } : this.subnets;

    this.functionSecurityGroup = new SecurityGroup(this, 'FunctionSg', {
      vpc: this.vpc,
      description: 'Vault functions: no inbound; HTTPS out to the VPC endpoints only',
      allowAllOutbound: false,
    });
    // Isolated subnets route only to the VPC and the DynamoDB gateway endpoint, so 443 "anywhere"
    // reaches exactly the endpoints (the gateway endpoint's prefix list needs a lookup); from the
    // processor subnets it also reaches the egress firewall, which passes the processor domains only.
    this.functionSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to the VPC endpoints');
    this.endpointSecurityGroup = new SecurityGroup(this, 'EndpointSg', {
      vpc: this.vpc,
      description: 'Interface endpoints: HTTPS from the vault functions only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      Port.tcp(443),
      'HTTPS from vault functions',
    );
    // X-Ray segments leave through the function's network interface too. X-Ray has no resource
    // ARNs: the policy names the trace actions and this account's principals only.
    this.interfaceEndpoint('XRay', InterfaceVpcEndpointAwsService.XRAY).addToPolicy(
      this.endpointStatement({
        actions: [
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ],
        resources: ['*'],
      }),
    );
    this.addDnsControls(props);
  }

  /**
   * DNS is the one way out of an isolated subnet that no security group sees (DNS tunnelling), so
   * every query is logged (PCI DSS 10.2) and the Route 53 Resolver DNS Firewall answers only the
   * AWS service names the endpoints serve and, with the egress, the processor's API name: anything
   * else gets NXDOMAIN.
   */
  private addDnsControls(props: VaultNetworkProps): void {
    const queryLogs = new LogGroup(this, 'DnsQueryLogs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: props.logRemovalPolicy,
    });
    const queryLogging = new CfnResolverQueryLoggingConfig(this, 'DnsQueryLogging', {
      name: `tessera-${props.stage}-vault-dns`,
      destinationArn: queryLogs.logGroupArn,
    });
    new CfnResolverQueryLoggingConfigAssociation(this, 'DnsQueryLoggingAssociation', {
      resolverQueryLogConfigId: queryLogging.attrId,
      resourceId: this.vpc.vpcId,
    });

    const region = Stack.of(this).region;
    const allowed = new CfnFirewallDomainList(this, 'DnsAllowedDomains', {
      name: `tessera-${props.stage}-vault-allowed`,
      domains: [
        ...VAULT_SERVICES.map((service) => `${service}.${region}.amazonaws.com`),
        // DynamoDB account-based endpoints (`<account>.ddb.<region>…`), which newer SDKs prefer.
        `*.ddb.${region}.amazonaws.com`,
      ],
    });
    const everything = new CfnFirewallDomainList(this, 'DnsAllDomains', {
      name: `tessera-${props.stage}-vault-all`,
      domains: ['*'],
    });
    const rules = new CfnFirewallRuleGroup(this, 'DnsFirewall', {
      name: `tessera-${props.stage}-vault-dns-firewall`,
      firewallRules: [
        { firewallDomainListId: allowed.attrId, priority: 1, action: 'ALLOW' },
        ...(this.egress
          ? [
              {
                firewallDomainListId: this.egress.dnsDomains.attrId,
                priority: 2,
                action: 'ALLOW',
                // The processor's name may be a CNAME into its provider's zone: trust the chain
                // that starts at the exact allowed name (the query itself carries nothing).
                firewallDomainRedirectionAction: 'TRUST_REDIRECTION_DOMAIN',
              },
            ]
          : []),
        {
          firewallDomainListId: everything.attrId,
          priority: 100,
          action: 'BLOCK',
          blockResponse: 'NXDOMAIN',
        },
      ],
    });
    new CfnFirewallRuleGroupAssociation(this, 'DnsFirewallAssociation', {
      name: `tessera-${props.stage}-vault`,
      firewallRuleGroupId: rules.attrId,
      vpcId: this.vpc.vpcId,
      priority: 101,
      mutationProtection: 'ENABLED',
    });
  }

  /** An endpoint policy statement: any principal of this account only (never another account's). */
  private endpointStatement(props: { actions?: string[]; resources?: string[] }): PolicyStatement {
    return new PolicyStatement({
      principals: [new AnyPrincipal()],
      ...(props.actions ? { actions: props.actions } : {}),
      ...(props.resources ? { resources: props.resources } : {}),
      conditions: { StringEquals: { 'aws:PrincipalAccount': Stack.of(this).account } },
    });
  }

  /** Lets the CDE reach a table through the gateway endpoint (the caller's IAM still decides). */
  allowTable(table: ITable): void {
    if (!this.dynamoDbPolicy) {
      this.dynamoDbPolicy = this.endpointStatement({ actions: DYNAMODB_ITEM_ACTIONS });
      this.vpc
        .addGatewayEndpoint('DynamoDb', {
          service: GatewayVpcEndpointAwsService.DYNAMODB,
          // The processor subnets too: their default route leads to the firewall, not to DynamoDB.
          subnets: [this.subnets, ...(this.egress ? [this.processorSubnets] : [])],
        })
        .addToPolicy(this.dynamoDbPolicy);
    }
    if (!this.dynamoDbPolicy.resources.includes(table.tableArn)) {
      this.dynamoDbPolicy.addResources(table.tableArn, `${table.tableArn}/index/*`);
    }
  }

  /** Lets the CDE use a key through the KMS endpoint, for these actions only. */
  allowKey(key: IKey, actions: string[]): void {
    this.kms ??= this.interfaceEndpoint('Kms', InterfaceVpcEndpointAwsService.KMS);
    let statement = this.kmsPolicies.get(key.node.path);
    if (!statement) {
      statement = this.endpointStatement({ resources: [key.keyArn] });
      this.kmsPolicies.set(key.node.path, statement);
      this.kms.addToPolicy(statement);
    }
    const known = statement.actions;
    statement.addActions(...actions.filter((a) => !known.includes(a)));
  }

  /** Lets the CDE read a secret through the Secrets Manager endpoint. */
  allowSecret(secret: ISecret): void {
    if (!this.secretsPolicy) {
      this.secretsPolicy = this.endpointStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      });
      this.interfaceEndpoint('SecretsManager', InterfaceVpcEndpointAwsService.SECRETS_MANAGER).addToPolicy(
        this.secretsPolicy,
      );
    }
    if (!this.secretsPolicy.resources.includes(secret.secretArn))
      this.secretsPolicy.addResources(secret.secretArn);
  }

  private interfaceEndpoint(name: string, service: InterfaceVpcEndpointAwsService): InterfaceVpcEndpoint {
    return this.vpc.addInterfaceEndpoint(name, {
      service,
      subnets: this.subnets,
      securityGroups: [this.endpointSecurityGroup],
      privateDnsEnabled: true,
      open: false,
    });
  }

  /**
   * Lambda manages the function's network interfaces with the execution role. Describe calls only
   * work on `*`; the rest is limited to this account and region.
   */
  grantNetworkInterfaces(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        resources: ['*'],
      }),
    );
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: [`arn:${stack.partition}:ec2:${stack.region}:${stack.account}:*/*`],
      }),
    );
  }
}
