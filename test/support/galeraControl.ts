import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';
import type { ClusterTimings, GaleraCluster, NodePorts, NodeStatus } from './galera.js';
import type { ServerState } from './haproxy.js';

// `npm run test:galera` owns the cluster; the command it runs (a test file, a load run) steers it
// through this small HTTP API on loopback, named by GALERA_CONTROL_URL: what each node and haproxy
// say, kill or stop a node, start it again.

export const CONTROL_VARIABLE = 'GALERA_CONTROL_URL';

export interface ClusterView {
  /** Through haproxy, no database. */
  url: string;
  nodes: Array<NodeStatus & { url: string; ports: NodePorts }>;
  haproxy: ServerState[];
  timings: ClusterTimings;
}

export interface Restart {
  ms: number;
  /** 'IST' (the writes it missed), 'SST' (a whole snapshot by mariadb-backup) or 'none'. */
  transfer: string;
}

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Serves `cluster` on 127.0.0.1; returns the control URL. */
export async function serveControl(cluster: GaleraCluster): Promise<{ url: string; server: Server }> {
  const view = async (): Promise<ClusterView> => ({
    url: cluster.url,
    nodes: (await cluster.statuses()).map((status, i) => ({
      ...status,
      url: cluster.nodes[i]!.url,
      ports: cluster.nodes[i]!.ports,
    })),
    haproxy: await cluster.haproxyStates(),
    timings: cluster.timings,
  });
  const server = createServer((request, response) => {
    const answer = async (): Promise<unknown> => {
      const url = new URL(request.url ?? '/', 'http://control');
      if (request.method === 'GET' && url.pathname === '/cluster') return view();
      const action = /^\/nodes\/([\w-]+)\/(kill|stop|start)$/.exec(url.pathname);
      if (request.method === 'POST' && action) {
        const [, name, verb] = action;
        if (verb === 'kill') await cluster.kill(name!);
        else if (verb === 'stop') await cluster.stop(name!);
        else return cluster.start(name!, { wipe: (await body(request)).wipe === true });
        return {};
      }
      if (request.method === 'POST' && url.pathname === '/synced') {
        await cluster.untilSynced(cluster.nodes.filter((node) => node.server.running));
        return {};
      }
      throw Object.assign(new Error(`no such control: ${request.method} ${url.pathname}`), { status: 404 });
    };
    answer().then(
      (result) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result));
      },
      (error: Error & { status?: number }) => {
        response.writeHead(error.status ?? 500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: error.message }));
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The client side, for the command `npm run test:galera` runs. */
export class GaleraControl {
  constructor(readonly url: string) {}

  /** The cluster this process was started against, or undefined outside `npm run test:galera`. */
  static fromEnvironment(): GaleraControl | undefined {
    const url = process.env[CONTROL_VARIABLE];
    return url ? new GaleraControl(url) : undefined;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: payload ? { 'content-type': 'application/json' } : {},
      body: payload ? JSON.stringify(payload) : undefined,
      signal: AbortSignal.timeout(600_000),
    });
    const result = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`${method} ${path}: ${result.error}`);
    return result;
  }

  view(): Promise<ClusterView> {
    return this.call('GET', '/cluster');
  }

  async kill(name: string): Promise<void> {
    await this.call('POST', `/nodes/${name}/kill`);
  }

  async stop(name: string): Promise<void> {
    await this.call('POST', `/nodes/${name}/stop`);
  }

  /** Starts a node again and waits until it is Synced; `wipe` forces a full snapshot transfer. */
  start(name: string, options: { wipe?: boolean } = {}): Promise<Restart> {
    return this.call('POST', `/nodes/${name}/start`, options);
  }

  /** Waits until every running node is Synced and sees all the others (a killed node evicted). */
  async untilSynced(): Promise<void> {
    await this.call('POST', '/synced');
  }

  /** The node a new connection through haproxy lands on. */
  async routedTo(): Promise<string> {
    const { url } = await this.view();
    const connection = await mysql.createConnection({ uri: url, connectTimeout: 3000 });
    try {
      const [rows] = await connection.query('SELECT @@wsrep_node_name AS name');
      return (rows as Array<{ name: string }>)[0]!.name;
    } finally {
      connection.destroy();
    }
  }
}
