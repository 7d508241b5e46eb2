import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface NotificationsProps {
  /** The one address the platform sends email from (an SES identity verified out of band). */
  fromAddress: string;
}

/**
 * Sending rights for the `Notifier` port (`RouteAccess.notify`): SMS through SNS and email through
 * SES, each as narrow as the service allows.
 */
export class Notifications extends Construct {
  readonly fromAddress: string;
  /** Set on functions that notify. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.fromAddress)) {
      throw new Error(`notifyFromAddress "${props.fromAddress}" is not an email address`);
    }
    this.fromAddress = props.fromAddress;
    this.environment = { NOTIFY_FROM_ADDRESS: props.fromAddress };
  }

  grantSend(grantee: IGrantable): void {
    const stack = Stack.of(this);
    const domain = this.fromAddress.slice(this.fromAddress.indexOf('@') + 1);
    const identity = (name: string) =>
      stack.formatArn({
        service: 'ses',
        resource: 'identity',
        resourceName: name,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    // Email: only through our own identity (the address or its domain), and only from our address.
    Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendEmail'],
      resourceArns: [identity(domain), identity(this.fromAddress)],
      conditions: { StringEquals: { 'ses:FromAddress': this.fromAddress } },
    });
    // SMS: a direct publish to a phone number has no resource ARN, so it cannot be scoped to one;
    // NotResource excludes every topic, so this principal can text a phone number and nothing else.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SmsToPhoneNumbersOnly',
        actions: ['sns:Publish'],
        notResources: [`arn:${Aws.PARTITION}:sns:*:*:*`],
      }),
    );
  }
}
