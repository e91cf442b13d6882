import { SMTPServer } from 'smtp-server';

/**
 * The benchmark's SMTP server: accepts everything, keeps no bodies, notes when each message
 * was accepted by its Message-ID and by the ticket it threads under (References header).
 */
export class EmailSink {
  accepted = 0;
  readonly acceptedAt = new Map<string, number>();
  readonly ticketAcceptedAt = new Map<number, number>();
  private server: SMTPServer | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        let head = '';
        stream.on('data', (chunk: Buffer) => {
          if (head.length < 4096) head += chunk.toString('latin1');
        });
        stream.on('end', () => {
          const now = performance.now();
          this.accepted += 1;
          const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1];
          if (messageId) this.acceptedAt.set(messageId, now);
          const ticket = /^References:\s*<ticketbot\.ticket-(\d+)@/im.exec(head)?.[1];
          if (ticket) this.ticketAcceptedAt.set(Number(ticket), now);
          callback(null);
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.server.address() as { port: number }).port;
    this.server = server;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  reset(): void {
    this.accepted = 0;
    this.acceptedAt.clear();
    this.ticketAcceptedAt.clear();
  }

  async waitForCount(count: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.accepted}/${count} accepted`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): Promise<void> {
    const server = this.server;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
