import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './mariadbServer.js';

// Debian's haproxy in front of database servers, in TCP mode, with one writer at a time: the
// first server takes every connection, the others are `backup`s. A stats socket says what
// haproxy thinks of each server (the CSV of `show stat`, HAProxy management guide §9.1).

export const HAPROXY = '/usr/sbin/haproxy';
const SETPRIV = '/usr/bin/setpriv';

export interface Backend {
  name: string;
  port: number;
  /** Where haproxy's HTTP health check is sent: 200 means "send me connections". */
  checkPort: number;
}

export interface ServerState {
  name: string;
  /** `UP`, `DOWN`, `UP 1/2` (going down), `DOWN 1/2` (going up), `MAINT`, `no check`. */
  status: string;
  backup: boolean;
  /** Connections open to it now. */
  sessions: number;
}

/** Check timings: haproxy asks every 500 ms and believes two answers in a row either way. */
const CHECK = 'check inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2';

function configuration(dir: string, port: number, backends: Backend[]): string {
  const servers = backends.map(
    (backend, i) =>
      `  server ${backend.name} 127.0.0.1:${backend.port} ${CHECK} port ${backend.checkPort}${i === 0 ? '' : ' backup'}`,
  );
  // - `option httpchk` + `check port`: the health check is an HTTP request to a port of the
  //   node's own, answered by a check that knows the node's replication state (see galera.ts),
  //   the set-up of Percona's clustercheck (https://github.com/olafz/percona-clustercheck).
  // - `backup`: with one non-backup server, connections go to it alone; when it is down, to the
  //   first backup that is up (haproxy configuration manual, "backup" and "option allbackups").
  // - `stick on dst` with a one-entry table: every connection comes to the same address, so they
  //   all share one entry naming the server they went to. When a backup took over, the entry
  //   names it, and the old writer coming back does not take new connections while older ones
  //   still write on the backup: one writer at a time, failover without failback.
  // - `on-marked-down shutdown-sessions`: a node that is alive but no longer fit to write (out
  //   of the primary component, say) has its open connections cut, so clients reconnect to the
  //   new writer instead of writing on the old one.
  // - Client and server timeouts are long: pooled connections sit idle between queries.
  return `global
  stats socket ${join(dir, 'haproxy.sock')} mode 600 level admin
  log stderr format short local0 notice

defaults
  mode tcp
  log global
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout check 2s
  retries 2
  option redispatch

frontend database
  bind 127.0.0.1:${port}
  default_backend writer

backend writer
  option httpchk GET /
  http-check expect status 200
  stick-table type ip size 1
  stick on dst
  default-server on-marked-down shutdown-sessions
${servers.join('\n')}
`;
}

export class Haproxy {
  private readonly exited: Promise<void>;
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    /** The port clients connect to. */
    readonly port: number,
    readonly backends: Backend[],
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.output = (this.output + chunk).slice(-8000);
    });
  }

  /** Starts haproxy in front of `backends` (the first is the writer) and waits for its stats socket. */
  static async start(backends: Backend[], options: { parentDir?: string } = {}): Promise<Haproxy> {
    const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'ticketbot-haproxy-'));
    const port = await freePort();
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, configuration(dir, port, backends));
    // -db: stay in the foreground; setpriv: die with this process.
    const args = ['-db', '-f', file];
    const child = existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', HAPROXY, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(HAPROXY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const haproxy = new Haproxy(child, dir, port, backends);
    process.once('exit', () => haproxy.child.kill('SIGKILL'));
    for (let i = 0; ; i += 1) {
      if (child.exitCode !== null) throw new Error(`haproxy exited at start:\n${haproxy.output}`);
      try {
        await haproxy.serverStates();
        return haproxy;
      } catch (error) {
        if (i > 100) throw new Error(`haproxy's stats socket does not answer: ${(error as Error).message}`);
        await sleep(50);
      }
    }
  }

  /** `mysql://root@127.0.0.1:<port>/` through haproxy. */
  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/`;
  }

  /** What haproxy has logged (server state changes among it). */
  get log(): string {
    return this.output;
  }

  /** One command on the stats socket; its whole answer. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(join(this.dir, 'haproxy.sock'));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        answer += chunk;
      });
      socket.on('error', reject);
      socket.on('end', () => resolve(answer));
      socket.write(`${line}\n`);
    });
  }

  /** haproxy's view of each database server. */
  async serverStates(): Promise<ServerState[]> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.trim().split('\n');
    if (!header?.startsWith('# ')) throw new Error(`unexpected answer to show stat: ${csv}`);
    const columns = header.slice(2).split(',');
    const at = (row: string[], column: string) => row[columns.indexOf(column)] ?? '';
    return rows
      .map((line) => line.split(','))
      .filter((row) => at(row, 'pxname') === 'writer' && !['FRONTEND', 'BACKEND'].includes(at(row, 'svname')))
      .map((row) => ({
        name: at(row, 'svname'),
        status: at(row, 'status'),
        backup: at(row, 'bck') === '1',
        sessions: Number(at(row, 'scur')),
      }));
  }

  async stop(options: { keepFiles?: boolean } = {}): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    if (!options.keepFiles) rmSync(this.dir, { recursive: true, force: true });
  }
}
