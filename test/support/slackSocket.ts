import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// The Socket Mode side of the test Slack: a WebSocket server (RFC 6455, text frames only) that
// greets each client with `hello`, sends envelopes, and collects the acknowledgements
// ({envelope_id, payload?}) the app sends back. apps.connections.open on FakeSlack points here.

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export class FakeSocketMode {
  private readonly sockets = new Set<Socket>();
  private readonly acks: Ack[] = [];
  private readonly waiters: Array<() => void> = [];
  private envelopeCounter = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSocketMode> {
    const server = createServer((_req, res) => res.writeHead(426).end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const fake = new FakeSocketMode(server, `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link`);
    server.on('upgrade', (req, socket: Socket) =>
      fake.accept(String(req.headers['sec-websocket-key'] ?? ''), socket),
    );
    return fake;
  }

  get connections(): number {
    return this.sockets.size;
  }

  private accept(key: string, socket: Socket): void {
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => this.sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const frame = readFrame(buffer);
        if (!frame) break;
        buffer = buffer.subarray(frame.length);
        if (frame.opcode === 0x9) socket.write(encodeFrame(frame.payload, 0xa));
        else if (frame.opcode === 0x8) socket.end(encodeFrame(Buffer.alloc(0), 0x8));
        else if (frame.opcode === 0x1) this.received(frame.payload.toString('utf8'));
      }
    });
    this.sendTo(socket, {
      type: 'hello',
      num_connections: 1,
      debug_info: { host: 'fake' },
      connection_info: { app_id: 'A0TICKETBOT' },
    });
  }

  private received(text: string): void {
    const message = JSON.parse(text) as Ack;
    if (message.envelope_id) this.acks.push(message);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private sendTo(socket: Socket, message: unknown): void {
    socket.write(encodeFrame(Buffer.from(JSON.stringify(message), 'utf8'), 0x1));
  }

  /** Sends one envelope to the first connected client and resolves with the app's ack. */
  async deliver(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: unknown,
    timeoutMs = 5000,
  ): Promise<Ack> {
    const socket = [...this.sockets][0];
    if (!socket) throw new Error('no Socket Mode client is connected');
    const envelopeId = `env-${++this.envelopeCounter}`;
    this.sendTo(socket, {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      retry_attempt: 0,
      retry_reason: '',
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ack = this.acks.find((a) => a.envelope_id === envelopeId);
      if (ack) return ack;
      if (Date.now() > deadline) throw new Error(`no ack for ${type} envelope ${envelopeId}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function encodeFrame(payload: Buffer, opcode: number): Buffer {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(length)]);
  return Buffer.concat([header, payload]);
}

function bigLength(length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(length));
  return out;
}

/** One client frame (always masked) from the front of `buffer`, or undefined if incomplete. */
function readFrame(buffer: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buffer.length < 2) return undefined;
  const opcode = buffer[0]! & 0x0f;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const maskOffset = offset;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buffer[maskOffset + (i % 4)]!;
  return { opcode, payload, length: offset + length };
}
