import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { deferred } from './deferred.js';

// A TCP relay between ticketbot and MySQL/MariaDB that can lose a connection at the one moment
// a test cannot reach otherwise: while COMMIT is under way. It reads the client's packets (MySQL
// client/server protocol: 3-byte little-endian payload length, 1-byte sequence id, payload;
// COM_QUERY is payload byte 0x03 followed by the SQL) and passes everything else through.

const COM_QUERY = 0x03;

export type CommitTrap =
  /** COMMIT is held, not sent; the test acts (KILL the connection, say), then calls `release`. */
  | 'hold'
  /** COMMIT reaches the server; its answer does not reach the client: the connection drops. */
  | 'drop-answer';

interface Armed {
  mode: CommitTrap;
  /** Only a COMMIT whose transaction sent a statement matching this (since its last COMMIT or ROLLBACK). */
  after?: RegExp;
  arrived: () => void;
  released: Promise<void>;
}

export class MysqlProxy {
  private armed: Armed | undefined;
  private readonly sockets = new Set<Socket>();
  private refusing = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.relay(client));
  }

  static async start(target: { host: string; port: number }): Promise<MysqlProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    return new MysqlProxy(server, address.port, target);
  }

  /** `url` (a mysql:// URL) pointed at the proxy instead. */
  urlFor(url: string): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(this.port);
    return through.toString();
  }

  /**
   * The next COMMIT any client sends meets `mode` (with `after`: the next COMMIT of a transaction
   * that sent a statement matching it); `arrived` resolves when it is sent.
   */
  trapNextCommit(mode: CommitTrap, after?: RegExp): { arrived: Promise<void>; release: () => void } {
    const arrival = deferred();
    const release = deferred();
    this.armed = { mode, after, arrived: arrival.resolve, released: release.promise };
    return { arrived: arrival.promise, release: release.resolve };
  }

  /**
   * The database goes away, as a stopped server does: every open connection is cut, and each new
   * one is closed as soon as it arrives, until restore().
   */
  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }

  /** The database is back: new connections reach it again. */
  restore(): void {
    this.refusing = false;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const server = connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(server);
    const drop = () => {
      client.destroy();
      server.destroy();
    };
    client.on('close', () => {
      this.sockets.delete(client);
      server.destroy();
    });
    server.on('close', () => {
      this.sockets.delete(server);
      client.destroy();
    });
    client.on('error', drop);
    server.on('error', drop);

    let dropNextAnswer = false;
    server.on('data', (chunk: Buffer) => {
      if (dropNextAnswer) return drop();
      client.write(chunk);
    });

    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    // What this connection's open transaction has sent so far (for a trap's `after`).
    let sent: string[] = [];
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const packets: Buffer[] = [];
      while (pending.length >= 4) {
        const length = pending.readUIntLE(0, 3);
        if (pending.length < 4 + length) break;
        packets.push(pending.subarray(0, 4 + length));
        pending = pending.subarray(4 + length);
      }
      // Packets keep their order even while one of them is held.
      for (const packet of packets) {
        chain = chain.then(async () => {
          const armed = this.armed;
          const query = queryOf(packet);
          const commit = query !== undefined && /^\s*COMMIT\b/i.test(query);
          const matches = !armed?.after || sent.some((statement) => armed.after!.test(statement));
          if (query !== undefined) {
            if (commit || /^\s*ROLLBACK\b/i.test(query)) sent = [];
            else if (armed?.after) sent.push(query);
          }
          if (armed && commit && matches) {
            this.armed = undefined;
            armed.arrived();
            if (armed.mode === 'hold') await armed.released;
            else dropNextAnswer = true;
          }
          if (!server.destroyed) server.write(packet);
        });
      }
    });
  }
}

/** The SQL of a COM_QUERY packet. */
function queryOf(packet: Buffer): string | undefined {
  if (packet.length < 5 || packet[4] !== COM_QUERY) return undefined;
  return packet.subarray(5).toString('utf8');
}
