import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { HAPROXY, Haproxy, type ServerState } from './haproxy.js';
import { freePort, MariadbServer, type Options, privateServerSkipReason } from './mariadbServer.js';

// A three-node MariaDB Galera cluster on loopback behind HAProxy, for tests: Debian's mariadbd
// with Debian's galera-4, state transfers by mariadb-backup (Debian's mariadb-backup and socat),
// haproxy sending every connection to one writer. Each node has its own folder, SQL port, group
// communication port, IST port and SST port, all on 127.0.0.1.

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const MARIABACKUP = '/usr/bin/mariadb-backup';
const SOCAT = '/usr/bin/socat';

/** Why a Galera cluster cannot run here, or '' when it can. */
export function galeraSkipReason(): string {
  const server = privateServerSkipReason();
  if (server) return server;
  const missing = [
    [GALERA_PROVIDER, 'galera-4'],
    [MARIABACKUP, 'mariadb-backup'],
    [SOCAT, 'socat'],
    [HAPROXY, 'haproxy'],
  ].filter(([path]) => !existsSync(path!));
  if (missing.length > 0)
    return `${missing.map(([, name]) => name).join(', ')} not installed (Debian packages; .ci/run installs them)`;
  return '';
}

export interface NodePorts {
  sql: number;
  /** Group communication (gcomm), Galera's 4567. */
  gcomm: number;
  /** Incremental state transfer, Galera's 4568. */
  ist: number;
  /** State snapshot transfer (mariadb-backup streamed over socat), Galera's 4444. */
  sst: number;
  /** The HTTP health check haproxy asks. */
  check: number;
}

export interface NodeStatus {
  name: string;
  running: boolean;
  /** wsrep_local_state_comment: Synced, Donor/Desynced, Joining, Joined…; '' when it does not answer. */
  state: string;
  /** wsrep_cluster_size as this node sees it (0 when it does not answer). */
  clusterSize: number;
  /** wsrep_cluster_status: Primary, non-Primary, Disconnected. */
  clusterStatus: string;
  /** wsrep_ready: the node accepts queries. */
  ready: boolean;
}

/**
 * How the nodes after the first get their data.
 * 'copy' (the default): the first node is bootstrapped, stopped cleanly, and its datadir copied to
 * the others, which join a few configuration changes behind: an IST, no snapshot. Every join still
 * runs mariadb-backup's SST script (it hands the IST over), which takes seconds to start.
 * 'sst': the others start empty and each gets a full snapshot by mariadb-backup, one after the
 * other, as new nodes of a real cluster do; slower (the donor's script sleeps 10 s before it streams).
 */
export type Seeding = 'copy' | 'sst';

export interface GaleraOptions {
  size?: number;
  seeding?: Seeding;
  /** Progress lines (what is being started, and how long it took). */
  log?: (line: string) => void;
}

export interface ClusterTimings {
  /** mariadb-install-db for the first node. */
  initialiseMs: number;
  /** The first node started with --wsrep-new-cluster until it answers. */
  bootstrapMs: number;
  /** The other nodes started until every node is Synced in one cluster. */
  joinMs: number;
  /** haproxy started until it routes to the writer. */
  haproxyMs: number;
  totalMs: number;
}

export class GaleraNode {
  constructor(
    readonly name: string,
    readonly server: MariadbServer,
    readonly ports: NodePorts,
  ) {}

  get url(): string {
    return this.server.url;
  }

  /** The node's replication state, asked over a connection of its own. */
  async status(): Promise<NodeStatus> {
    const down: NodeStatus = {
      name: this.name,
      running: this.server.running,
      state: '',
      clusterSize: 0,
      clusterStatus: '',
      ready: false,
    };
    if (!this.server.running) return down;
    let connection: mysql.Connection | undefined;
    try {
      connection = await mysql.createConnection({ uri: this.url, connectTimeout: 1000 });
      const [rows] = await connection.query(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_ready')",
      );
      const value = (name: string) =>
        (rows as Array<{ Variable_name: string; Value: string }>).find((row) => row.Variable_name === name)
          ?.Value ?? '';
      return {
        ...down,
        state: value('wsrep_local_state_comment'),
        clusterSize: Number(value('wsrep_cluster_size') || 0),
        clusterStatus: value('wsrep_cluster_status'),
        ready: value('wsrep_ready') === 'ON',
      };
    } catch {
      return down;
    } finally {
      connection?.destroy();
    }
  }

  /** Fit to take writes: Synced, in the primary component, ready. */
  static writable(status: NodeStatus): boolean {
    return status.state === 'Synced' && status.clusterStatus === 'Primary' && status.ready;
  }
}

/**
 * haproxy's health check for one node, over HTTP: 200 when the node is Synced in the primary
 * component, 503 otherwise, as Percona's clustercheck answers
 * (https://github.com/olafz/percona-clustercheck). `option mysql-check` would not do: it only
 * proves that the server completes a handshake, and a node cut off from the primary component,
 * or still joining, does that too while refusing queries with 1047 "WSREP has not yet prepared
 * node for application use".
 */
async function startHealthCheck(node: GaleraNode): Promise<Server> {
  const server = createServer((_request, response) => {
    void node.status().then((status) => {
      const ok = GaleraNode.writable(status);
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain', connection: 'close' });
      response.end(`${node.name}: ${status.state || 'not answering'} ${status.clusterStatus}\n`);
    });
  });
  server.listen(node.ports.check, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}

async function allocatePorts(): Promise<NodePorts> {
  const ports: number[] = [];
  while (ports.length < 5) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const [sql, gcomm, ist, sst, check] = ports as [number, number, number, number, number];
  return { sql, gcomm, ist, sst, check };
}

function providerOptions(ports: NodePorts): string {
  return `gmcast.listen_addr=tcp://127.0.0.1:${ports.gcomm};ist.recv_addr=127.0.0.1:${ports.ist};gcache.size=64M`;
}

function galeraOptions(name: string, ports: NodePorts, all: NodePorts[], sstPassword: string): Options {
  return {
    // What Galera requires of MariaDB (https://mariadb.com/kb/en/configuring-mariadb-galera-cluster/).
    binlog_format: 'ROW',
    default_storage_engine: 'InnoDB',
    innodb_autoinc_lock_mode: 2,
    wsrep_on: 'ON',
    wsrep_provider: GALERA_PROVIDER,
    wsrep_cluster_name: 'ticketbot_test',
    wsrep_cluster_address: `gcomm://${all.map((p) => `127.0.0.1:${p.gcomm}`).join(',')}`,
    wsrep_node_name: name,
    // Several nodes on one host, each with its own ports, as MariaDB's own galera_3nodes test
    // suite runs them (mysql-test/suite/galera_3nodes/galera_3nodes.cnf).
    wsrep_node_address: `127.0.0.1:${ports.gcomm}`,
    wsrep_node_incoming_address: `127.0.0.1:${ports.sql}`,
    wsrep_provider_options: `"${providerOptions(ports)}"`,
    wsrep_sst_receive_address: `127.0.0.1:${ports.sst}`,
    // mariadb-backup needs socat to stream, and a user on the donor with these privileges
    // (https://mariadb.com/kb/en/mariabackup-sst-method/).
    wsrep_sst_method: 'mariabackup',
    wsrep_sst_auth: `sst:${sstPassword}`,
  };
}

export class GaleraCluster {
  private readonly checks: Server[] = [];
  private haproxyServer: Haproxy | undefined;
  readonly timings: ClusterTimings = { initialiseMs: 0, bootstrapMs: 0, joinMs: 0, haproxyMs: 0, totalMs: 0 };

  private readonly removeDir = () => rmSync(this.dir, { recursive: true, force: true });

  private constructor(
    readonly dir: string,
    readonly nodes: GaleraNode[],
    private readonly log: (line: string) => void,
  ) {
    process.once('exit', this.removeDir);
  }

  /**
   * Starts the nodes (the first with --wsrep-new-cluster, the others joining it), waits until
   * all are Synced in one cluster, then starts haproxy in front of them with the first node as
   * the writer. Whatever fails on the way is cleaned up before the error is thrown.
   */
  static async start(options: GaleraOptions = {}): Promise<GaleraCluster> {
    const reason = galeraSkipReason();
    if (reason) throw new Error(`Galera cannot run here: ${reason}`);
    const started = Date.now();
    const size = options.size ?? 3;
    const log = options.log ?? (() => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'ticketbot-galera-'));

    const sstPassword = randomBytes(12).toString('hex');
    const ports: NodePorts[] = [];
    for (let i = 0; i < size; i += 1) ports.push(await allocatePorts());
    const names = ports.map((_, i) => `node${i + 1}`);
    const serverOptions = (i: number) => ({
      name: names[i]!,
      parentDir: dir,
      port: ports[i]!.sql,
      options: galeraOptions(names[i]!, ports[i]!, ports, sstPassword),
      // The state transfer script's logs stay in the node's datadir instead of /tmp/sst_log_archive.
      groups: { sst: { 'sst-log-archive': 0 } },
    });
    const nodes: GaleraNode[] = [];
    const cluster = new GaleraCluster(dir, nodes, log);
    try {
      let mark = Date.now();
      const first = await MariadbServer.create({ ...serverOptions(0), datadir: 'install' });
      nodes.push(new GaleraNode(names[0]!, first, ports[0]!));
      cluster.timings.initialiseMs = Date.now() - mark;

      mark = Date.now();
      await first.start(['--wsrep-new-cluster']);
      cluster.timings.bootstrapMs = Date.now() - mark;
      const admin = await first.connect();
      await admin.query("CREATE USER 'sst'@'localhost' IDENTIFIED BY ?", [sstPassword]);
      await admin.query("GRANT RELOAD, PROCESS, LOCK TABLES, REPLICATION CLIENT ON *.* TO 'sst'@'localhost'");
      await admin.end();
      log(
        `${names[0]} bootstrapped (install ${cluster.timings.initialiseMs} ms, start ${cluster.timings.bootstrapMs} ms)`,
      );

      mark = Date.now();
      const seeding = options.seeding ?? 'copy';
      if (seeding === 'copy') {
        // A clean stop writes the cluster's position to grastate.dat, so copies of that datadir
        // start from it instead of from nothing. gvwstate.dat is the node's own view of the
        // cluster (its node UUID): a copy must not have it.
        await first.stop();
        for (let i = 1; i < size; i += 1) {
          const server = await MariadbServer.create({
            ...serverOptions(i),
            datadir: { copyFrom: first.datadir },
          });
          rmSync(join(server.datadir, 'gvwstate.dat'), { force: true });
          nodes.push(new GaleraNode(names[i]!, server, ports[i]!));
        }
        await first.start(['--wsrep-new-cluster']);
        // They join at the position they were copied at, a few configuration changes behind
        // the group: an IST of those, no snapshot. One at a time: two joining at once once left
        // the second with "IST didn't contain all write sets … node restart required".
        for (const node of nodes.slice(1)) {
          await node.server.start([], { answered: false });
          await cluster.untilSynced([node], 300_000);
        }
      } else {
        for (let i = 1; i < size; i += 1) {
          const server = await MariadbServer.create({ ...serverOptions(i), datadir: 'empty' });
          const node = new GaleraNode(names[i]!, server, ports[i]!);
          nodes.push(node);
          // One at a time: a donor serves one snapshot transfer at once.
          await server.start([], { answered: false });
          await cluster.untilSynced([node], 300_000);
        }
      }
      await cluster.untilSynced(nodes, 300_000);
      cluster.timings.joinMs = Date.now() - mark;
      log(`${size} nodes Synced (${seeding}) in ${cluster.timings.joinMs} ms`);

      mark = Date.now();
      for (const node of nodes) cluster.checks.push(await startHealthCheck(node));
      cluster.haproxyServer = await Haproxy.start(
        nodes.map((node) => ({ name: node.name, port: node.ports.sql, checkPort: node.ports.check })),
        { parentDir: dir },
      );
      await cluster.untilRoutedTo(names[0]!, 30_000);
      cluster.timings.haproxyMs = Date.now() - mark;
      cluster.timings.totalMs = Date.now() - started;
      log(`haproxy on port ${cluster.haproxy.port} routes to ${names[0]} (${cluster.timings.haproxyMs} ms)`);
      return cluster;
    } catch (error) {
      const logs = nodes.map((node) => `--- ${node.name}\n${node.server.logTail(40)}`).join('\n');
      await cluster.destroy();
      throw new Error(`${(error as Error).message}\n${logs}`);
    }
  }

  get haproxy(): Haproxy {
    if (!this.haproxyServer) throw new Error('haproxy is not started');
    return this.haproxyServer;
  }

  /** Through haproxy, no database. */
  get url(): string {
    return this.haproxy.url;
  }

  node(name: string): GaleraNode {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  statuses(): Promise<NodeStatus[]> {
    return Promise.all(this.nodes.map((node) => node.status()));
  }

  haproxyStates(): Promise<ServerState[]> {
    return this.haproxy.serverStates();
  }

  /** The node a new connection through haproxy lands on (its wsrep_node_name). */
  async routedTo(): Promise<string> {
    const connection = await mysql.createConnection({ uri: this.url, connectTimeout: 3000 });
    try {
      const [rows] = await connection.query('SELECT @@wsrep_node_name AS name');
      return (rows as Array<{ name: string }>)[0]!.name;
    } finally {
      connection.destroy();
    }
  }

  /** Waits until new connections through haproxy land on `name`. */
  async untilRoutedTo(name: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.routedTo().catch((error: Error) => `(${error.message})`);
      if (last === name) return;
      if (Date.now() > deadline) throw new Error(`haproxy still routes to ${last}, not ${name}`);
      await sleep(100);
    }
  }

  /**
   * Waits until each of `nodes` is Synced in the primary component and sees every running node
   * of the cluster. Fails at once if one of them exits (with its error log).
   */
  async untilSynced(nodes: GaleraNode[] = this.nodes, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const expectedSize = this.nodes.filter((node) => node.server.running).length;
      const statuses = await Promise.all(nodes.map((node) => node.status()));
      const exited = nodes.find((node) => !node.server.running);
      if (exited) throw new Error(`${exited.name} exited:\n${exited.server.logTail(40)}`);
      // A failed state transfer leaves the node up, Initialized, waiting for a restart forever.
      const stuck = nodes.find((node) => /node restart required/.test(node.server.logSinceStart()));
      if (stuck) throw new Error(`${stuck.name} cannot join:\n${stuck.server.logTail(40)}`);
      if (statuses.every((status) => GaleraNode.writable(status) && status.clusterSize === expectedSize))
        return;
      if (Date.now() > deadline)
        throw new Error(`not Synced after ${timeoutMs} ms: ${JSON.stringify(statuses)}`);
      await sleep(200);
    }
  }

  /** The node dies at once (SIGKILL), as in a crash. */
  async kill(name: string): Promise<void> {
    await this.node(name).server.kill();
    this.log(`${name} killed`);
  }

  /** A clean shutdown: the node leaves the cluster. */
  async stop(name: string): Promise<void> {
    await this.node(name).server.stop();
    this.log(`${name} stopped`);
  }

  /**
   * Starts a node that was killed or stopped and waits until it is Synced again. It first
   * recovers its last committed position from InnoDB (`--wsrep-recover`, as Debian's
   * galera_recovery does before systemd starts the server): without it a node killed mid-way
   * starts from "unknown" and gets a full snapshot transfer instead of the writes it missed
   * (IST). `wipe` empties its datadir first, as for a replaced disk: a full SST by mariadb-backup.
   * Returns how long it took and which transfer it got.
   */
  async start(name: string, options: { wipe?: boolean } = {}): Promise<{ ms: number; transfer: string }> {
    const node = this.node(name);
    const started = Date.now();
    const args: string[] = [];
    if (options.wipe) node.server.wipeDatadir();
    else {
      const log = await node.server.runOnce(['--wsrep-recover'], join(node.server.dir, 'recover.log'));
      const position = /WSREP: Recovered position: (\S+)/.exec(log)?.[1];
      if (position) args.push(`--wsrep-start-position=${position}`);
    }
    await node.server.start(args, { answered: false });
    await this.untilSynced([node], 300_000);
    const startLog = node.server.logSinceStart();
    // An IST also goes through the SST script, which then says so ("IST completed on joiner").
    const transfer = /mariabackup SST completed on joiner/.test(startLog)
      ? 'SST'
      : /WSREP: IST received/.test(startLog)
        ? 'IST'
        : 'none';
    const ms = Date.now() - started;
    this.log(`${name} Synced again by ${transfer} in ${ms} ms`);
    return { ms, transfer };
  }

  /**
   * Everything stops: nodes (killed: nothing in them is kept), checks, haproxy. Their folders go
   * too, unless `keepFiles` (to read the nodes' error logs after a failure).
   */
  async destroy(options: { keepFiles?: boolean } = {}): Promise<void> {
    await this.haproxyServer?.stop(options);
    await Promise.all(this.checks.map((check) => new Promise((resolve) => check.close(resolve))));
    await Promise.all(this.nodes.map((node) => node.server.destroy(options)));
    process.off('exit', this.removeDir);
    if (!options.keepFiles) this.removeDir();
  }
}
