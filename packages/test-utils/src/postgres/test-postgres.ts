import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { reapOnExit } from './cluster-reaper.js';
import { type ClusterUser, chownTree, clusterUser, runProgram } from './cluster-user.js';
import { createDatabase, databaseName, dropDatabase } from './databases.js';
import { freePort } from './free-port.js';
import {
  type PostgresBinaries,
  TEST_PG_URL_ENV,
  findPostgresBinaries,
  postgresMissingInCi,
} from './postgres-binaries.js';

/**
 * Where {@link startTestPostgres} says what it does (initdb, start, stop, with timings): a
 * function taking a line, or any logger with a `debug` method (the `Logger` of
 * `@agent-state/state` is one).
 *
 * @example
 * ```ts
 * const server = await startTestPostgres({ logger: benchLogger('pg') });
 * const other = await startTestPostgres({ logger: createLogger({ level: 'debug' }) });
 * ```
 */
export type TestPostgresLogger =
  | ((message: string) => void)
  | { debug(message: string, fields?: Readonly<Record<string, unknown>>): void };

/**
 * Options of {@link startTestPostgres}.
 *
 * @example
 * ```ts
 * const options: StartTestPostgresOptions = { logger: (line) => console.error(line) };
 * ```
 */
export interface StartTestPostgresOptions {
  /** Told what is done, with timings; nothing is said by default. */
  logger?: TestPostgresLogger;
  /**
   * Server settings of a throwaway cluster, beside its own (durability off), e.g.
   * `{ shared_buffers: '1GB' }`: names of letters and `_`, values of letters, digits and `._`.
   * An existing server (`AGENT_STATE_TEST_PG_URL`) keeps its own.
   */
  settings?: Readonly<Record<string, string>>;
}

/**
 * A PostgreSQL server for tests: a throwaway cluster of its own, or the existing server that
 * `AGENT_STATE_TEST_PG_URL` names (`external`).
 *
 * @example
 * ```ts
 * const server: TestPostgres = await startTestPostgres();
 * const client = new pg.Client({ connectionString: await server.createDatabase() });
 * ```
 */
export interface TestPostgres {
  /**
   * `postgres://USER:PASSWORD@HOST:PORT/DATABASE` of a role that may create databases (the
   * cluster's superuser `agent_state`, on `127.0.0.1`, database `postgres`), or
   * `AGENT_STATE_TEST_PG_URL` as it is.
   */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The folder of the cluster's Unix socket (where local connections are trusted); `undefined` for an external server. */
  readonly socketDir: string | undefined;
  /** Whether this is the existing server of `AGENT_STATE_TEST_PG_URL` rather than a cluster of its own. */
  readonly external: boolean;
  /**
   * Creates a fresh, empty database (named `name`, or `agent_state_test_<random hex>`) and
   * returns its URL, with the same role and password as {@link TestPostgres.url}.
   */
  createDatabase(name?: string): Promise<string>;
  /**
   * Stops the cluster and removes its folder; for an external server, drops the databases that
   * {@link TestPostgres.createDatabase} created. Idempotent.
   */
  stop(): Promise<void>;
  /**
   * Stops the cluster (`pg_ctl stop -m fast`) but keeps its data, for tests of a server that goes
   * away mid-way. Rejects for an external server.
   */
  pause(): Promise<void>;
  /** Starts a paused cluster again, on the same data directory and port. Rejects for an external server. */
  resume(): Promise<void>;
}

const SUPERUSER = 'agent_state';
const PORT_ATTEMPTS = 5;

/**
 * Starts a throwaway PostgreSQL server for tests, or uses the existing server that
 * `AGENT_STATE_TEST_PG_URL` names.
 *
 * The cluster is made by `initdb` in a temporary folder (superuser `agent_state` with a random
 * password; TCP on 127.0.0.1 takes a password, the Unix socket in {@link TestPostgres.socketDir}
 * is trusted), with durability off (`fsync`, `synchronous_commit`, `full_page_writes`) since its
 * data is thrown away, and started on a free port. As root, it runs as the `postgres` user (else
 * `nobody`), since `initdb` refuses root. It never outlives the process: if `stop()` was not
 * called, it is stopped (`pg_ctl stop -m immediate`) and removed when the process exits.
 *
 * Without PostgreSQL it throws: guard the tests with {@link postgresAvailable}, which makes them
 * skip on a workstation and fail in CI.
 *
 * @example
 * ```ts
 * describe.skipIf(!postgresAvailable())('the PostgreSQL store', () => {
 *   let server: TestPostgres;
 *   beforeAll(async () => {
 *     server = await startTestPostgres();
 *   });
 *   afterAll(() => server.stop());
 *
 *   it('survives a restart of the server', async () => {
 *     const url = await server.createDatabase();
 *     await server.pause();
 *     await server.resume();
 *   });
 * });
 * ```
 */
export async function startTestPostgres(
  options: StartTestPostgresOptions = {},
): Promise<TestPostgres> {
  const log = toLog(options.logger);
  const settings = Object.entries(options.settings ?? {});
  for (const [name, value] of settings) {
    // They reach the server through pg_ctl's shell: nothing that shell could read otherwise.
    if (!/^[a-z_]+$/u.test(name) || !/^[A-Za-z0-9._]+$/u.test(value)) {
      throw new Error(`startTestPostgres: setting ${JSON.stringify(name)}: not a plain name=value`);
    }
  }
  const externalUrl = process.env[TEST_PG_URL_ENV];
  if (externalUrl) return useExternalServer(externalUrl, log);
  const binaries = findPostgresBinaries();
  if (!binaries) {
    if (process.env.CI) throw postgresMissingInCi();
    throw new Error(
      'PostgreSQL is not installed here (no initdb/pg_ctl found): guard the test with ' +
        `describe.skipIf(!postgresAvailable()), install PostgreSQL, or set ${TEST_PG_URL_ENV}`,
    );
  }
  return startCluster(binaries, log, settings);
}

function toLog(logger: TestPostgresLogger | undefined): (message: string) => void {
  if (!logger) return () => {};
  if (typeof logger === 'function') return logger;
  return (message) => logger.debug(message);
}

function externalOnly(method: string): Promise<never> {
  return Promise.reject(
    new Error(
      `TestPostgres.${method}() needs a throwaway cluster, but ${TEST_PG_URL_ENV} names an ` +
        `existing server, which is never stopped: unset ${TEST_PG_URL_ENV} to run this test`,
    ),
  );
}

function useExternalServer(url: string, log: (message: string) => void): TestPostgres {
  const parsed = new URL(url);
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`${TEST_PG_URL_ENV}: not a postgres:// URL`);
  }
  const user = decodeURIComponent(parsed.username);
  const created = new Set<string>();
  let stopping: Promise<void> | undefined;
  log(`using the existing server of ${TEST_PG_URL_ENV} (${parsed.host})`);
  return {
    url,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 5432,
    user,
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.slice(1)) || user,
    socketDir: undefined,
    external: true,
    async createDatabase(name) {
      if (stopping) throw new Error('TestPostgres.createDatabase(): the server was stopped');
      const database = databaseName(name);
      const databaseUrl = await createDatabase(url, database);
      created.add(database);
      return databaseUrl;
    },
    stop() {
      stopping ??= (async () => {
        for (const database of created) await dropDatabase(url, database);
        log(`dropped ${created.size} test database(s) from the existing server`);
        created.clear();
      })();
      return stopping;
    },
    pause: () => externalOnly('pause'),
    resume: () => externalOnly('resume'),
  };
}

/** The paths of one cluster and how to run its programs. */
interface Cluster {
  binaries: PostgresBinaries;
  user: ClusterUser | undefined;
  /** The temporary folder: data directory, server log, Unix socket. */
  dir: string;
  dataDir: string;
  logFile: string;
  /** Settings given beside the cluster's own. */
  settings: ReadonlyArray<[string, string]>;
}

async function startCluster(
  binaries: PostgresBinaries,
  log: (message: string) => void,
  settings: ReadonlyArray<[string, string]>,
): Promise<TestPostgres> {
  const begun = performance.now();
  const user = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), 'agent-state-pg-'));
  const cluster: Cluster = {
    binaries,
    user,
    dir,
    dataDir: join(dir, 'data'),
    logFile: join(dir, 'server.log'),
    settings,
  };
  const password = randomBytes(16).toString('hex');
  // Known to the exit handler from before the first start, so that nothing started is left behind.
  const forget = reapOnExit({ pgCtl: binaries.pgCtl, dataDir: cluster.dataDir, dir, user });
  let port: number;
  try {
    await initCluster(cluster, password, log);
    port = await startOnFreePort(cluster, log);
  } catch (error) {
    await stopServer(cluster, 'immediate').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    forget();
    throw error;
  }
  log(
    `cluster ready in ${elapsed(begun)} on 127.0.0.1:${port} (${dir}, as ${user?.name ?? 'self'})`,
  );

  const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`;
  let state: 'running' | 'paused' | 'stopped' = 'running';
  let stopping: Promise<void> | undefined;
  const notStopped = (method: string): void => {
    if (state === 'stopped') throw new Error(`TestPostgres.${method}(): the cluster was stopped`);
  };

  return {
    url,
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    database: 'postgres',
    socketDir: dir,
    external: false,
    async createDatabase(name) {
      notStopped('createDatabase');
      if (state === 'paused') {
        throw new Error('TestPostgres.createDatabase(): the cluster is paused (resume() it first)');
      }
      return createDatabase(url, databaseName(name));
    },
    async pause() {
      notStopped('pause');
      if (state === 'paused') return;
      const begunPause = performance.now();
      await stopServer(cluster, 'fast');
      state = 'paused';
      log(`cluster paused in ${elapsed(begunPause)}`);
    },
    async resume() {
      notStopped('resume');
      if (state === 'running') return;
      const begunResume = performance.now();
      const outcome = await startServer(cluster, port);
      if (outcome !== 'started') {
        throw new Error(`TestPostgres.resume(): could not start again on port ${port}: ${outcome}`);
      }
      state = 'running';
      log(`cluster resumed in ${elapsed(begunResume)}`);
    },
    stop() {
      stopping ??= (async () => {
        const wasRunning = state === 'running';
        state = 'stopped';
        if (wasRunning) {
          await stopServer(cluster, 'fast').catch(() => stopServer(cluster, 'immediate'));
        }
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
        forget();
        log(`cluster stopped and removed (${dir})`);
      })();
      return stopping;
    },
  };
}

async function initCluster(
  cluster: Cluster,
  password: string,
  log: (message: string) => void,
): Promise<void> {
  const pwfile = join(cluster.dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (cluster.user) chownTree(cluster.dir, cluster.user);
  const begun = performance.now();
  let lastError: unknown;
  // C.UTF-8 sorts and classifies like C, with UTF-8 text; some systems (macOS) lack it.
  for (const locale of ['C.UTF-8', 'C']) {
    rmSync(cluster.dataDir, { recursive: true, force: true });
    try {
      await runProgram(
        cluster.binaries.initdb,
        [
          '-D',
          cluster.dataDir,
          '-U',
          SUPERUSER,
          '--auth-local=trust',
          '--auth-host=scram-sha-256',
          `--pwfile=${pwfile}`,
          '-E',
          'UTF8',
          `--locale=${locale}`,
          // Its data is thrown away: no need to wait for it to reach the disk.
          '--no-sync',
        ],
        { cwd: cluster.dir, user: cluster.user },
      );
      rmSync(pwfile, { force: true });
      log(`initdb (locale ${locale}) in ${elapsed(begun)}`);
      return;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Starts the cluster on a free port, taking another one when a port is taken meanwhile. */
async function startOnFreePort(cluster: Cluster, log: (message: string) => void): Promise<number> {
  let outcome = '';
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt += 1) {
    const port = await freePort();
    outcome = await startServer(cluster, port);
    if (outcome === 'started') return port;
    if (
      !/could not bind|address already in use|could not create any TCP\/IP sockets/i.test(outcome)
    ) {
      break;
    }
    log(`port ${port} was taken meanwhile, trying another one`);
  }
  throw new Error(`could not start the test PostgreSQL cluster: ${outcome}`);
}

/**
 * Runs `pg_ctl start` and waits until the server accepts connections. Resolves with `'started'`,
 * or with what went wrong: pg_ctl's output and the new lines of the server log.
 */
async function startServer(cluster: Cluster, port: number): Promise<string> {
  const logStart = existsSync(cluster.logFile) ? statSync(cluster.logFile).size : 0;
  const serverOptions = [
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    // pg_ctl hands this string to a shell: the folder is quoted.
    `-k ${shellQuote(cluster.dir)}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=100',
    ...cluster.settings.map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  try {
    await runProgram(
      cluster.binaries.pgCtl,
      [
        '-D',
        cluster.dataDir,
        '-l',
        cluster.logFile,
        '-w',
        '-t',
        '60',
        '-o',
        serverOptions,
        'start',
      ],
      { cwd: cluster.dir, user: cluster.user },
    );
    return 'started';
  } catch (error) {
    const serverLog = existsSync(cluster.logFile)
      ? readFileSync(cluster.logFile, 'utf8').slice(logStart).trim()
      : '';
    return `${(error as Error).message}\nserver log:\n${serverLog || '(empty)'}`;
  }
}

async function stopServer(cluster: Cluster, mode: 'fast' | 'immediate'): Promise<void> {
  await runProgram(cluster.binaries.pgCtl, ['-D', cluster.dataDir, '-m', mode, '-w', 'stop'], {
    cwd: cluster.dir,
    user: cluster.user,
  });
}

function shellQuote(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function elapsed(since: number): string {
  return `${Math.round(performance.now() - since)} ms`;
}
