import { pathToFileURL } from 'node:url';
import { jobs as allJobs, type ScheduledJob } from '../jobs.ts';

type JobHandler = (input: { asOf?: string }) => Promise<unknown>;

const repoRoot = new URL('../../', import.meta.url);

/** True when a job's summary counts anything (e.g. `{ delivered: 2 }`), or is not a summary at all. */
function didWork(result: unknown): boolean {
  if (result === null || typeof result !== 'object') return result !== undefined;
  return Object.values(result).some((v) => (typeof v === 'number' ? v > 0 : didWork(v)));
}

export interface Scheduler {
  jobs: string[];
  /** Runs one job now (what `POST /v1/admin/collections` does for collection). */
  runNow(name: string, asOf?: string): Promise<unknown>;
  stop(): void;
}

/**
 * Runs the same job handlers that EventBridge Scheduler invokes in AWS, on a local timer. A run
 * never overlaps the previous run of the same job; a failing run is reported and retried next tick.
 */
export function startScheduler(
  options: { jobs?: ScheduledJob[]; log?: (line: string) => void; autoStart?: boolean } = {},
): Scheduler {
  const jobs = options.jobs ?? allJobs;
  const log = options.log ?? ((line) => process.stderr.write(`[scheduler] ${line}\n`));
  const running = new Set<string>();
  const timers: NodeJS.Timeout[] = [];

  const load = async (job: ScheduledJob): Promise<JobHandler> => {
    const mod = (await import(pathToFileURL(new URL(job.entry, repoRoot).pathname).href)) as Record<
      string,
      unknown
    >;
    const fn = mod[job.handler];
    if (typeof fn !== 'function') throw new Error(`${job.entry} has no export ${job.handler}`);
    return fn as JobHandler;
  };

  const run = async (job: ScheduledJob, asOf?: string) => {
    if (running.has(job.name)) return { skipped: 'previous run still in progress' };
    running.add(job.name);
    const started = performance.now();
    try {
      // Timer runs pass no asOf: the job reads the injected clock, exactly as under EventBridge.
      const result = await (await load(job))(asOf === undefined ? {} : { asOf });
      // Quiet when a run found nothing to do, so `npm start` output stays readable.
      if (didWork(result)) {
        log(`${job.name} done in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(result)}`);
      }
      return result;
    } catch (error) {
      log(`${job.name} failed: ${(error as Error).message}`);
      throw error;
    } finally {
      running.delete(job.name);
    }
  };

  if (options.autoStart !== false) {
    for (const job of jobs) {
      const timer = setInterval(() => void run(job).catch(() => {}), job.localEveryMs);
      timer.unref();
      timers.push(timer);
    }
  }
  return {
    jobs: jobs.map((j) => j.name),
    runNow: (name, asOf) => {
      const job = jobs.find((j) => j.name === name);
      if (!job) return Promise.reject(new Error(`no scheduled job named ${name}`));
      return run(job, asOf);
    },
    stop: () => {
      for (const t of timers) clearInterval(t);
    },
  };
}
