import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';

/** What the drain hands to a mailer: one fully composed message. */
export type OutgoingEmail = SendMailOptions & { messageId: string; to: string };

export interface Mailer {
  /** 'smtp' or 'eml' (files in data/outbox/), for the logs. */
  readonly kind: 'smtp' | 'eml';
  /** Where messages go, for the logs: the SMTP server without its credentials, or the folder. */
  readonly destination: string;
  /** How many messages may be in flight at once. */
  readonly concurrency: number;
  /** Resolves once the server accepted the message; rejects with nodemailer's error otherwise. */
  send(email: OutgoingEmail, fileStem: string): Promise<{ response: string }>;
  /** Checks the server answers and accepts the credentials (resolves with a problem, or undefined). */
  check(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface SmtpOptions {
  maxConnections?: number;
  /** Per-socket inactivity limit; keep well under the outbox lease. */
  socketTimeoutMs?: number;
}

/**
 * One pooled SMTP transport for the whole process: connections are reused across messages
 * (maxMessages each) instead of a TCP + TLS + AUTH handshake per email.
 */
export function smtpMailer(smtpUrl: string, options: SmtpOptions = {}): Mailer {
  const maxConnections = options.maxConnections ?? 5;
  const transport = nodemailer.createTransport({
    pool: true,
    url: smtpUrl,
    maxConnections,
    maxMessages: 500,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
  });
  const server = new URL(smtpUrl);
  return {
    kind: 'smtp',
    destination: `${server.protocol}//${server.host}`,
    concurrency: maxConnections,
    send: async (email) => {
      const info = await transport.sendMail(email);
      return { response: String(info.response ?? '') };
    },
    check: () =>
      transport.verify().then(
        () => undefined,
        (error: Error & { code?: string; response?: string }) =>
          [error.code, error.response ?? error.message].filter(Boolean).join(': '),
      ),
    close: async () => transport.close(),
  };
}

/**
 * No SMTP_URL: each email becomes an .eml file (open it in any mail client), so a fresh install
 * shows what it would send. Written under a temporary name then renamed into place.
 */
export function emlMailer(dir: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let created: Promise<unknown> | undefined;
  return {
    kind: 'eml',
    destination: dir,
    concurrency: 4,
    send: async (email, fileStem) => {
      created ??= mkdir(dir, { recursive: true });
      await created;
      const info = await transport.sendMail(email);
      const file = join(dir, `${fileStem}.eml`);
      await writeFile(`${file}.tmp`, info.message as Buffer);
      await rename(`${file}.tmp`, file);
      return { response: `written to ${file}` };
    },
    check: async () => undefined,
    close: async () => undefined,
  };
}
