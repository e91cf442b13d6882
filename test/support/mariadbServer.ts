import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

// A MariaDB server of the test's own: Debian's mariadbd on a datadir, port, socket and pid file
// of its own under a temporary folder, which the test may stop, kill and start again. The shared
// server on 3306 is never touched: every program here reads only the option file written below
// (--defaults-file is the first argument, so /etc/mysql/my.cnf and its socket are never read).

export const MARIADBD = '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB = '/usr/bin/mariadb-install-db';
const SETPRIV = '/usr/bin/setpriv';

const run = promisify(execFile);

/** Why private servers cannot run here, or '' when they can. */
export function privateServerSkipReason(): string {
  if (!existsSync(MARIADBD) || !existsSync(MARIADB_INSTALL_DB))
    return 'mariadbd or mariadb-install-db is not installed (Debian mariadb-server; .ci/run installs it)';
  if (process.getuid?.() !== 0) return 'a private mariadbd is started as root here (--user=root)';
  return '';
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Option-file values: a string or number is `name=value`, `true` a bare `name`. */
export type Options = Record<string, string | number | true>;

export interface MariadbServerOptions {
  /** Shown in errors and used as the folder's name. */
  name?: string;
  /** Folder to create the server's own folder in (default: the system's temporary folder). */
  parentDir?: string;
  port?: number;
  /** More [mariadbd] options, over the defaults below. */
  options?: Options;
  /** More option groups ([sst], say), written after [mariadbd]. */
  groups?: Record<string, Options>;
  /**
   * How the datadir starts: 'install' runs mariadb-install-db (about 2 s), 'empty' leaves it empty
   * (a Galera joiner gets everything by state transfer), or a datadir to copy.
   */
  datadir?: 'install' | 'empty' | { copyFrom: string };
}

/** Live servers, killed and removed if the process exits without cleaning up (a failed hook). */
const live = new Set<MariadbServer>();
let exitHookInstalled = false;
function watchForExit(server: MariadbServer): void {
  live.add(server);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const left of live) left.destroySync();
  });
}

export class MariadbServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';
  private logOffset = 0;

  private constructor(
    readonly name: string,
    /** The server's own folder: option file, datadir, socket, pid file, logs. */
    readonly dir: string,
    readonly port: number,
  ) {}

  /** Creates the folder, option file and datadir; the server is not started. */
  static async create(options: MariadbServerOptions = {}): Promise<MariadbServer> {
    const name = options.name ?? 'mariadb';
    const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), `ticketbot-${name}-`));
    const server = new MariadbServer(name, dir, options.port ?? (await freePort()));
    watchForExit(server);
    mkdirSync(server.datadir);
    mkdirSync(join(dir, 'tmp'));
    writeFileSync(server.defaultsFile, server.optionFile(options.options ?? {}, options.groups ?? {}));
    const datadir = options.datadir ?? 'install';
    if (datadir === 'install') await server.install();
    else if (datadir !== 'empty') server.copyDatadir(datadir.copyFrom);
    return server;
  }

  /** Creates and starts a server. */
  static async start(options: MariadbServerOptions = {}): Promise<MariadbServer> {
    const server = await MariadbServer.create(options);
    await server.start();
    return server;
  }

  get datadir(): string {
    return join(this.dir, 'data');
  }
  get defaultsFile(): string {
    return join(this.dir, 'my.cnf');
  }
  get socket(): string {
    return join(this.dir, 'mysqld.sock');
  }
  get pidFile(): string {
    return join(this.dir, 'mysqld.pid');
  }
  get errorLog(): string {
    return join(this.dir, 'error.log');
  }
  /** root without a password over TCP, no database. */
  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/`;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  private optionFile(extra: Options, groups: Record<string, Options>): string {
    const defaults: Options = {
      // Root may run mariadbd only by saying so; staying root also keeps the parent-death signal
      // (setpriv below), which a change of user would clear.
      user: 'root',
      datadir: this.datadir,
      port: this.port,
      'bind-address': '127.0.0.1',
      socket: this.socket,
      'pid-file': this.pidFile,
      'log-error': this.errorLog,
      tmpdir: join(this.dir, 'tmp'),
      'skip-name-resolve': true,
      // Small enough for several servers on a 2-core, shared test machine.
      innodb_buffer_pool_size: '64M',
      innodb_log_file_size: '16M',
      max_connections: 200,
      'character-set-server': 'utf8mb4',
      'collation-server': 'utf8mb4_unicode_ci',
    };
    const lines = (options: Options) =>
      Object.entries(options).map(([key, value]) => (value === true ? key : `${key}=${value}`));
    const sections = [
      ['[mariadbd]', ...lines({ ...defaults, ...extra })],
      // mariadb-backup (a Galera state transfer) and the client read these.
      ['[client]', `socket=${this.socket}`, `port=${this.port}`],
      ...Object.entries(groups).map(([group, options]) => [`[${group}]`, ...lines(options)]),
    ];
    return `${sections.map((section) => section.join('\n')).join('\n\n')}\n`;
  }

  private async install(): Promise<void> {
    // 'normal' root: no password, from localhost and 127.0.0.1 (mysql_system_tables_data.sql).
    await run(
      MARIADB_INSTALL_DB,
      [
        `--defaults-file=${this.defaultsFile}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        // The server's own option file may turn Galera on; the system tables are made alone.
        '--wsrep-on=OFF',
      ],
      { maxBuffer: 4 * 1024 * 1024 },
    ).catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(
        `mariadb-install-db failed for ${this.name}: ${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
    });
  }

  private copyDatadir(from: string): void {
    rmSync(this.datadir, { recursive: true, force: true });
    cpSync(from, this.datadir, { recursive: true });
  }

  /** Empties the datadir (a node whose disk was lost). The server must be down. */
  wipeDatadir(): void {
    if (this.running) throw new Error(`${this.name} is running`);
    for (const entry of readdirSync(this.datadir))
      rmSync(join(this.datadir, entry), { recursive: true, force: true });
  }

  /**
   * Starts mariadbd and waits until it answers a query (60 s by default). `args` are added to
   * the command line (`--wsrep-new-cluster`, say). A server that exits before answering fails
   * this with the end of its error log.
   */
  async start(args: string[] = [], options: { timeoutMs?: number; answered?: boolean } = {}): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.spawn([`--defaults-file=${this.defaultsFile}`, ...args]);
    if (options.answered === false) return;
    await this.untilAnswering(options.timeoutMs ?? 60_000);
  }

  private spawn(args: string[]): void {
    // setpriv makes the kernel kill mariadbd if this process dies without cleaning up.
    const [command, argv] = existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', MARIADBD, ...args]]
      : [MARIADBD, args];
    this.stderr = '';
    this.logOffset = existsSync(this.errorLog) ? statSync(this.errorLog).size : 0;
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Waits until the server answers `SELECT 1` over TCP. */
  async untilAnswering(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited before answering:\n${this.logTail()}`);
      try {
        const connection = await mysql.createConnection({ uri: this.url, connectTimeout: 1000 });
        try {
          await connection.query('SELECT 1');
          return;
        } finally {
          await connection.end().catch(() => undefined);
        }
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(
            `${this.name} did not answer in ${timeoutMs} ms (${(error as Error).message}):\n${this.logTail()}`,
          );
        await sleep(50);
      }
    }
  }

  /** A connection as root over TCP. */
  connect(database?: string): Promise<mysql.Connection> {
    return mysql.createConnection({
      uri: this.url,
      database,
      connectTimeout: 5000,
      multipleStatements: false,
    });
  }

  /** A clean shutdown (SIGTERM), as an operator's stop does; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The server dies at once (SIGKILL): nothing flushed, no goodbye to clients or peers. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** Kills the server if it runs and removes its folder (kept with `keepFiles`, to look at its logs). */
  async destroy(options: { keepFiles?: boolean } = {}): Promise<void> {
    await this.kill();
    if (!options.keepFiles) rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** destroy() for an exiting process, where nothing asynchronous runs any more. */
  destroySync(): void {
    if (this.running) this.child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** What the error log says since the server was last started. */
  logSinceStart(): string {
    return existsSync(this.errorLog)
      ? readFileSync(this.errorLog).subarray(this.logOffset).toString('utf8')
      : '';
  }

  /** The last lines of the error log (and of stderr, where mariadbd writes before the log opens). */
  logTail(lines = 30): string {
    const log = existsSync(this.errorLog) ? readFileSync(this.errorLog, 'utf8') : '';
    return `${log.split('\n').slice(-lines).join('\n')}${this.stderr ? `\n[stderr] ${this.stderr}` : ''}`;
  }

  /**
   * Runs mariadbd with `args` until it exits by itself (`--wsrep-recover`, say), with its error
   * log sent to `logFile`; returns that log.
   */
  async runOnce(args: string[], logFile: string): Promise<string> {
    if (this.running) throw new Error(`${this.name} is running`);
    await run(MARIADBD, [`--defaults-file=${this.defaultsFile}`, ...args, `--log-error=${logFile}`]).catch(
      (error: Error) => {
        throw new Error(
          `mariadbd ${args.join(' ')} failed for ${this.name}: ${error.message}\n${this.readLog(logFile)}`,
        );
      },
    );
    return this.readLog(logFile);
  }

  private readLog(file: string): string {
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }
}
