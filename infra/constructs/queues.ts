import { Duration, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue: KMS-encrypted with a customer-managed key (a failed event can carry an
 * order, a customer or a webhook payload), TLS only, messages kept the 14-day maximum.
 */
export function deadLetterQueue(scope: Construct, id: string, queueName: string, key: IKey): Queue {
  return new Queue(scope, id, {
    queueName,
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: key,
    // One data key per 5 minutes per sender instead of one per message.
    dataKeyReuse: Duration.minutes(5),
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
}

/**
 * What a sender to an encrypted queue needs of its key (SQS SSE: GenerateDataKey and Decrypt), for
 * SQS's use on its behalf only (`kms:ViaService`). The stock `grantSendMessages` would add
 * `kms:Encrypt` and `kms:ReEncrypt*` on the key for any use. Lambda (a function's DLQ) and
 * EventBridge Scheduler (a schedule's DLQ) grant `sqs:SendMessage` themselves.
 */
export function grantQueueKey(grantee: IGrantable, queue: IQueue): void {
  if (!queue.encryptionMasterKey) return;
  Grant.addToPrincipal({
    grantee,
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resourceArns: [queue.encryptionMasterKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(queue).region}.amazonaws.com` } },
  });
}
