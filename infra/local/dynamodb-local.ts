/**
 * Fetches, verifies, caches and runs DynamoDB Local (AWS's own Java emulator).
 *
 * The jar ships inside the npm tarball `amplify-dynamodb-simulator` (folder `emulator/`). We do not
 * depend on that package (it drags in ~280 packages): `npm pack` fetches the pinned tarball once
 * (npm checks the registry integrity), and the jar is checked against a sha256 pinned here.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { OnProgress } from './progress.ts';

const execFileAsync = promisify(execFile);

export const DYNAMODB_LOCAL_VERSION = '1.25.1';
const SIMULATOR_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
/** sha256 of DynamoDBLocal.jar 1.25.1. The tarball's own `emulator/sha256` file is a different hash. */
export const DYNAMODB_LOCAL_JAR_SHA256 = '454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7';
const JAR = 'DynamoDBLocal.jar';

/** Resolved from this file, not the cwd, so `npm start`, vitest and ad-hoc scripts share one cache. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_CACHE_DIR = join(REPO_ROOT, '.cache', 'dynamodb-local');
/** Temp folders older than this are leftovers of an interrupted fetch, not a fetch in progress. */
const STALE_TMP_MS = 10 * 60_000;

export const JAVA_MISSING_MESSAGE =
  'Java 17+ is required to run DynamoDB Local: install it with `apt-get install openjdk-17-jre-headless` ' +
  '(Debian/Ubuntu) or `brew install openjdk@17` (macOS).';

export interface EnsureJarOptions {
  cacheDir?: string;
  onProgress?: OnProgress;
  /** Tests only: use this local tarball instead of `npm pack` (the pinned jar hash still applies). */
  tarballPath?: string;
}

/**
 * Returns the folder holding a verified DynamoDBLocal.jar and DynamoDBLocal_lib/, fetching it on
 * first use. A cached jar whose hash does not match (tampered or corrupted) is discarded and
 * fetched again; a fetched jar whose hash does not match throws and caches nothing.
 */
export async function ensureDynamoDbJar(options: EnsureJarOptions = {}): Promise<string> {
  const cacheDir = resolve(options.cacheDir ?? DEFAULT_CACHE_DIR);
  const progress = options.onProgress ?? (() => {});
  const target = join(cacheDir, DYNAMODB_LOCAL_VERSION);

  if (await exists(join(target, JAR))) {
    if ((await sha256File(join(target, JAR))) === DYNAMODB_LOCAL_JAR_SHA256) return target;
    progress(`cached ${JAR} in ${target} fails its sha256 check; discarding it and fetching again…`);
    await rm(target, { recursive: true, force: true });
  } else if (await exists(target)) {
    // A folder without its jar is not a cache we made; start clean.
    await rm(target, { recursive: true, force: true });
  }

  await mkdir(cacheDir, { recursive: true });
  await removeStaleTempDirs(cacheDir);
  // Inside cacheDir so the final rename stays on one filesystem and is atomic.
  const tmp = join(cacheDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    let tarball = options.tarballPath;
    if (!tarball) {
      progress(`fetching DynamoDB Local ${DYNAMODB_LOCAL_VERSION} (first run only)…`);
      tarball = await npmPack(tmp);
    }
    await execFileAsync('tar', ['-xzf', tarball, '-C', tmp, 'package/emulator']).catch((error: unknown) => {
      throw new Error(`could not extract package/emulator from ${tarball}: ${errorMessage(error)}`);
    });
    const staged = join(tmp, 'package', 'emulator');
    progress('verifying sha256…');
    const actual = (await exists(join(staged, JAR))) ? await sha256File(join(staged, JAR)) : 'missing';
    if (actual !== DYNAMODB_LOCAL_JAR_SHA256) {
      throw new Error(
        `DynamoDB Local ${JAR} failed verification: expected sha256 ${DYNAMODB_LOCAL_JAR_SHA256}, ` +
          `got ${actual}. Nothing was cached.`,
      );
    }
    try {
      await rename(staged, target);
    } catch (error) {
      // Another process finished the same fetch first: keep its copy if it is valid.
      if (!(await exists(join(target, JAR)))) throw error;
      if ((await sha256File(join(target, JAR))) !== DYNAMODB_LOCAL_JAR_SHA256) throw error;
    }
    progress(`cached in ${target}`);
    return target;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function npmPack(destination: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(
      'npm',
      ['pack', SIMULATOR_PACKAGE, '--pack-destination', destination, '--json', '--ignore-scripts'],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const packed = JSON.parse(stdout) as { filename?: string }[];
    const filename = packed[0]?.filename;
    if (!filename) throw new Error('npm pack printed no file name');
    return join(destination, filename);
  } catch (error) {
    throw new Error(`could not fetch ${SIMULATOR_PACKAGE} with npm pack: ${errorMessage(error)}`);
  }
}

async function removeStaleTempDirs(cacheDir: string): Promise<void> {
  for (const entry of await readdir(cacheDir)) {
    if (!entry.startsWith('.tmp-')) continue;
    const path = join(cacheDir, entry);
    const info = await stat(path).catch(() => undefined);
    // File mtimes are wall-clock times, so this one comparison needs the real wall clock.
    if (info && Date.now() - info.mtimeMs > STALE_TMP_MS) await rm(path, { recursive: true, force: true });
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

// ---------------------------------------------------------------------------------------------------

export type DynamoDbLocalStorage = { inMemory: true } | { dbPath: string };

export interface StartOptions {
  /** Defaults to a free port on 127.0.0.1. */
  port?: number;
  cacheDir?: string;
  onProgress?: OnProgress;
  /** How long to wait for the first successful ListTables. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  /**
   * One database for every client (`-sharedDb`, the default), or one per access key and region.
   * The test run uses one per test file: on a shared database, every operation on a table created
   * after ~80 others (with data) took 12 ms instead of 1.7 ms, and each new table took longer to
   * create, so the suite slowed as it went (DynamoDB Local 1.25.1, measured 2026-11-30).
   */
  sharedDb?: boolean;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** The java process id (lets callers and tests check that nothing is left behind). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs java through a tiny sh watchdog, then `exec`s java so the spawned pid *is* java (stop()
 * and exit codes then refer to java itself). The background subshell polls the parent node
 * process once a second and kills java if the parent disappeared without cleaning up (SIGKILL,
 * OOM kill), which no in-process handler can catch. It also ends as soon as java ends, so it
 * never signals a recycled pid, and it writes nowhere so it never holds java's pipes open.
 */
const WATCHDOG = `
parent=$1; shift
(
  while kill -0 "$parent" 2>/dev/null && kill -0 $$ 2>/dev/null; do sleep 1; done
  if kill -0 $$ 2>/dev/null; then
    kill -TERM $$ 2>/dev/null
    i=0
    while [ $i -lt 5 ] && kill -0 $$ 2>/dev/null; do sleep 1; i=$((i + 1)); done
    kill -KILL $$ 2>/dev/null
  fi
) </dev/null >/dev/null 2>&1 &
exec "$@"
`;

/** Starts DynamoDB Local and resolves once it answers a real ListTables request. */
export async function startDynamoDbLocal(
  storage: DynamoDbLocalStorage,
  options: StartOptions = {},
): Promise<DynamoDbLocal> {
  // Before the (possibly long) first fetch: without java there is nothing to fetch it for.
  const java = await findOnPath('java');
  if (!java) throw new Error(JAVA_MISSING_MESSAGE);

  const home = await ensureDynamoDbJar({
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const storageArgs = await storageArguments(storage);

  // A port found free can be taken before java binds it; retry with a new one when we chose it.
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await launch(java, home, port, storageArgs, options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

async function storageArguments(storage: DynamoDbLocalStorage): Promise<string[]> {
  if ('inMemory' in storage) return ['-inMemory'];
  const dbPath = resolve(storage.dbPath);
  await mkdir(dbPath, { recursive: true });
  return ['-dbPath', dbPath];
}

async function launch(
  java: string,
  home: string,
  port: number,
  storageArgs: string[],
  options: StartOptions,
): Promise<DynamoDbLocal> {
  const javaArgs = [
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(home, JAR),
    ...(options.sharedDb === false ? [] : ['-sharedDb']),
    '-disableTelemetry',
    '-port',
    String(port),
    ...storageArgs,
  ];
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'dynamodb-local', String(process.pid), java, ...javaArgs], {
    cwd: home,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn failed synchronously-ish (e.g. /bin/sh missing); surface the real error.
    const spawnError = await new Promise<Error>((done) => child.once('error', done));
    throw new Error(`could not start DynamoDB Local: ${spawnError.message}`);
  }

  const stderrTail = tail(child.stderr);
  const stdoutTail = tail(child.stdout);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  track(child);
  void exited.then(() => untrack(child));

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = once(() => stopChild(child, exited, options.stopGraceMs ?? 3_000));

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  // A timeout is elapsed time: measured on the monotonic timer, not the (injectable) wall clock.
  const deadline = performance.now() + timeoutMs;
  let earlyExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => {
    earlyExit = { code, signal };
  });

  while (!(await answersListTables(endpoint))) {
    if (earlyExit) {
      const output = stderrTail().concat(stdoutTail()).join('\n');
      if (/Address already in use|BindException/i.test(output)) {
        throw new PortInUseError(`port ${port} is already in use`);
      }
      throw new Error(
        `DynamoDB Local exited during startup (code ${earlyExit.code}, signal ${earlyExit.signal}). ` +
          `Last output:\n${output || '(none)'}`,
      );
    }
    if (performance.now() > deadline) {
      await stop();
      const lines = stderrTail();
      throw new Error(
        `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms. ` +
          `Last java stderr lines:\n${lines.length ? lines.join('\n') : '(none)'}`,
      );
    }
    await sleep(100);
  }
  return { endpoint, port, pid, stop };
}

/**
 * Readiness is a real ListTables answer, not an open port: Jetty accepts connections before the
 * database layer is ready. DynamoDB Local ignores signatures, so a dummy Authorization will do.
 */
async function answersListTables(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.ListTables',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, ' +
          'SignedHeaders=host, Signature=local',
      },
      body: '{}',
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await response.json()) as { TableNames?: unknown };
    return response.ok && Array.isArray(body.TableNames);
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), graceMs).unref());
  if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}

// Every live java child, so process exit and SIGINT/SIGTERM/SIGHUP can take them down with us.
const live = new Set<ChildProcess>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAllLive(): void {
  for (const child of live) child.kill('SIGTERM');
}

function onSignal(signal: NodeJS.Signals): void {
  killAllLive();
  // Our listener replaced the default "exit on signal"; restore it when no one else handles it.
  if (process.listenerCount(signal) === 1) {
    removeHandlers();
    process.kill(process.pid, signal);
  }
}

function installHandlers(): void {
  process.on('exit', killAllLive);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function removeHandlers(): void {
  process.off('exit', killAllLive);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

function track(child: ChildProcess): void {
  if (live.size === 0) installHandlers();
  live.add(child);
}

function untrack(child: ChildProcess): void {
  if (live.delete(child) && live.size === 0) removeHandlers();
}

// ---------------------------------------------------------------------------------------------------

async function findOnPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function findFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? done(port) : fail(new Error('could not find a free port'))));
    });
  });
}

/** Keeps the last lines of a stream (consuming it, so java never blocks on a full pipe). */
function tail(stream: NodeJS.ReadableStream | null, max = 20): () => string[] {
  const lines: string[] = [];
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim()) lines.push(line);
    }
    lines.splice(0, Math.max(0, lines.length - max));
  });
  return () => (partial.trim() ? [...lines, partial] : [...lines]).slice(-max);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'stderr' in error && typeof error.stderr === 'string') {
    const stderr = error.stderr.trim();
    if (stderr) return stderr;
  }
  return error instanceof Error ? error.message : String(error);
}
