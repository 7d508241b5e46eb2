import { Aws, Duration, TimeZone, Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Schedule,
  ScheduleExpression,
  ScheduleGroup,
  ScheduleTargetInput,
  TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import { ScheduleTargetBase, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ScheduledJob } from '../jobs.ts';
import { type AccessContext, accessFunction, type FunctionStack, functionStack, pascal } from './access.ts';
import type { TesseraFunction } from './function.ts';
import { LeastPrivilegeRole } from './iam.ts';
import { deadLetterQueue, grantQueueKey } from './queues.ts';

export interface JobsProps extends AccessContext {
  jobs: readonly ScheduledJob[];
}

/**
 * How EventBridge Scheduler retries an invocation Lambda did not accept (throttling, a service
 * error). Every job is an idempotent sweep whose next run does what a lost run would have done, so a
 * few retries suffice; an event still undelivered after 10 minutes goes to the DLQ (and its alarm)
 * instead of running late.
 */
const RETRY = { attempts: 3, maxEventAge: Duration.minutes(10) };

/** One function per entry of `infra/jobs.ts`, each invoked by its own EventBridge Scheduler schedule. */
export class Jobs extends Construct {
  /** The nested stack holding the job functions, their schedules, roles, DLQ and alarms. */
  readonly functionStack: FunctionStack;
  readonly group: ScheduleGroup;
  /**
   * Failed invocations, both kinds: those the scheduler could not deliver (after RETRY) and those
   * whose run failed after Lambda's own asynchronous retries.
   */
  readonly deadLetterQueue: Queue;
  /** By job name. */
  readonly functions: ReadonlyMap<string, TesseraFunction>;
  readonly schedules: ReadonlyMap<string, Schedule>;
  readonly schedulerRoles: ReadonlyMap<string, LeastPrivilegeRole>;

  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    const { stage } = props;
    this.functionStack = functionStack(this, 'JobFunctions', `Tessera ${stage}: scheduled jobs`, stage);
    const { stack } = this.functionStack;

    this.deadLetterQueue = deadLetterQueue(stack, 'JobsDlq', `tessera-${stage}-jobs-dlq`, props.keys.ops);
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is itself the dead-letter queue of the scheduled jobs: every job schedule and every job ' +
        'function names it (asserted in test/infra). A redrive target for it would only move the same messages ' +
        'one hop further; its depth alarm (Monitoring) is the safety net instead.',
    });

    // Our own group, so the trust policies below admit this stack's schedules and no other.
    this.group = new ScheduleGroup(stack, 'Group', { scheduleGroupName: `tessera-${stage}-jobs` });

    const functions = new Map<string, TesseraFunction>();
    const schedules = new Map<string, Schedule>();
    const roles = new Map<string, LeastPrivilegeRole>();
    for (const job of props.jobs) {
      if (functions.has(job.name)) throw new Error(`Duplicate job "${job.name}"`);
      const fnId = Jobs.functionId(job);
      const fn = accessFunction(
        this.functionStack,
        fnId,
        {
          entry: job.entry,
          handler: job.handler,
          description: `Scheduled job ${job.name} (${job.schedule}): ${job.description}`,
          access: job.access,
          deadLetterQueue: this.deadLetterQueue,
          timeout: Duration.seconds(job.timeoutSeconds),
        },
        props,
      );

      const role = new LeastPrivilegeRole(stack, `${fnId}SchedulerRole`, {
        assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
          // Confused deputy: only schedules of this account's job group may assume it.
          conditions: {
            StringEquals: {
              'aws:SourceAccount': Aws.ACCOUNT_ID,
              'aws:SourceArn': this.group.scheduleGroupArn,
            },
          },
        }),
        description: `Tessera ${stage}: EventBridge Scheduler invokes the ${job.name} job`,
      });
      const schedule = new Schedule(stack, `${fnId}Schedule`, {
        scheduleName: `tessera-${stage}-${job.name}`,
        scheduleGroup: this.group,
        description: job.description.slice(0, 512),
        schedule: ScheduleExpression.expression(
          job.schedule,
          job.timeZone ? TimeZone.of(job.timeZone) : undefined,
        ),
        timeWindow: TimeWindow.off(),
        target: new InvokeFunction(fn, {
          role,
          // Jobs take `{ asOf?: string }`; a scheduled run means "now".
          input: ScheduleTargetInput.fromObject({}),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: RETRY.attempts,
          maxEventAge: RETRY.maxEventAge,
        }),
      });
      grantQueueKey(role, this.deadLetterQueue);
      functions.set(job.name, fn);
      schedules.set(job.name, schedule);
      roles.set(job.name, role);
    }
    this.functions = functions;
    this.schedules = schedules;
    this.schedulerRoles = roles;
  }

  /** `webhook-delivery` -> `webhookDeliveryJob`: the function's construct id (and alarm names). */
  static functionId(job: Pick<ScheduledJob, 'name'>): string {
    const name = pascal(job.name);
    return `${name[0]?.toLowerCase() ?? ''}${name.slice(1)}Job`;
  }
}

/**
 * A Lambda schedule target whose role may invoke exactly the function's unqualified ARN. The stock
 * `LambdaInvoke` grants through `grantInvoke`, which adds `<arn>:*` (every version and alias) too:
 * the schedule only ever calls the unqualified function.
 */
class InvokeFunction extends ScheduleTargetBase {
  private readonly fn: IFunction;

  constructor(fn: IFunction, props: ScheduleTargetBaseProps) {
    super(props, fn.functionArn);
    this.fn = fn;
  }

  protected addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.fn.functionArn] }),
    );
  }
}
