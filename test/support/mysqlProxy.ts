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

  /** The next COMMIT any client sends meets `mode`; `arrived` resolves when it is sent. */
  trapNextCommit(mode: CommitTrap): { arrived: Promise<void>; release: () => void } {
    const arrival = deferred();
    const release = deferred();
    this.armed = { mode, arrived: arrival.resolve, released: release.promise };
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
          if (armed && isCommit(packet)) {
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

function isCommit(packet: Buffer): boolean {
  if (packet.length < 5 || packet[4] !== COM_QUERY) return false;
  return /^\s*COMMIT\b/i.test(packet.subarray(5).toString('utf8'));
}
