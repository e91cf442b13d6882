import type { Socket } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedEmail {
  envelopeTo: string[];
  messageId: string;
  parsed: ParsedMail;
}

/** What the server does with one upcoming message instead of accepting it. */
export type Fault =
  | { kind: 'reply'; code: number; message?: string }
  /** Close the connection at the end of DATA: `stored` says whether the server kept the message first. */
  | { kind: 'drop'; stored: boolean }
  /** Keep the message and answer only once `release` resolves (a slow server). */
  | { kind: 'hold'; release: Promise<void> }
  /**
   * Answer the end of DATA only once `release` resolves, and keep the message only then, if the
   * sender is still connected: a mail transaction is complete only with the server's final reply,
   * so a message whose sender hung up before it is not delivered (RFC 5321, section 4.1.1.4:
   * https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.4). `arrived` is called once it waits.
   */
  | { kind: 'stall'; release: Promise<void>; arrived?: () => void };

/**
 * A real SMTP server on 127.0.0.1 for tests: it parses what it receives (mailparser) and can
 * fail on demand: answer a code, drop the connection mid-send, or go down and come back.
 */
export class TestSmtpServer {
  readonly received: ReceivedEmail[] = [];
  private readonly faults: Fault[] = [];
  private readonly sockets = new Map<number, Socket>();
  private server: SMTPServer | undefined;
  private waiters: Array<() => void> = [];
  port = 0;

  static async start(): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer();
    await smtp.up();
    return smtp;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next messages meet these faults, one each, in order. */
  inject(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  messageIds(): string[] {
    return this.received.map((email) => email.messageId);
  }

  /** Resolves once `condition` holds (checked after every message), or rejects after `timeoutMs`. */
  async waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(
          `SMTP server: condition not met within ${timeoutMs} ms (${this.received.length} received)`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Starts listening (again, on the same port after down()). */
  async up(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      size: 10 * 1024 * 1024,
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    });
    server.server.on('connection', (socket: Socket) => {
      if (socket.remotePort) this.sockets.set(socket.remotePort, socket);
      socket.on('close', () => socket.remotePort && this.sockets.delete(socket.remotePort));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    this.port = (server.server.address() as { port: number }).port;
    this.server = server;
  }

  /** Goes down hard: stops listening and cuts every open connection. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
    for (const socket of this.sockets.values()) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  close(): Promise<void> {
    return this.down();
  }

  private onData(
    stream: NodeJS.ReadableStream,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', async () => {
      const fault = this.faults.shift();
      if (fault?.kind === 'reply') {
        const error = Object.assign(new Error(fault.message ?? `injected ${fault.code}`), {
          responseCode: fault.code,
        });
        callback(error);
        return;
      }
      if (fault?.kind === 'stall') {
        fault.arrived?.();
        await fault.release;
        const socket = this.sockets.get(session.remotePort);
        if (!socket || socket.destroyed) return;
      }
      if (fault?.kind !== 'drop' || fault.stored) {
        const parsed = await simpleParser(Buffer.concat(chunks));
        const envelopeTo = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        this.received.push({ envelopeTo, messageId: parsed.messageId ?? '', parsed });
        for (const wake of this.waiters.splice(0)) wake();
      }
      if (fault?.kind === 'hold') await fault.release;
      if (fault?.kind === 'drop') this.sockets.get(session.remotePort)?.destroy();
      else callback(null);
    });
  }
}
