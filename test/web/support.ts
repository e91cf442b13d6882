import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { loadTexts } from '../../src/i18n/index.js';
import { createLogger } from '../../src/logger.js';
import {
  asActor,
  createTicketHooks,
  seedRoster,
  type TicketContext,
  type TicketServices,
} from '../../src/tickets/index.js';
import { createWebApp, errorHandler } from '../../src/web/app.js';

// Starts the web app alone (no Slack, no mail drain) on a loopback port, on a test database.

export interface RunningPage {
  url: string;
  app: Express;
  close(): Promise<void>;
}

export async function startStatusPage(
  db: Database,
  databaseUrl: string,
  env: Record<string, string> = {},
  beforeListen?: (app: Express) => void,
  options: { teamId?: string; host?: string; port?: number; tickets?: TicketServices } = {},
): Promise<RunningPage> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...env,
  });
  const logger = createLogger('silent');
  const texts = loadTexts({ localesDir: config.localesDir });
  const app = createWebApp({
    config,
    db,
    logger,
    texts,
    workspace: { teamId: options.teamId },
    tickets: options.tickets,
  });
  beforeListen?.(app);
  app.use(errorHandler(logger));
  const host = options.host ?? '127.0.0.1';
  const server: Server = app.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    app,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The Slack app's Sign in with Slack credentials, as the test Slack's provider knows them. */
export const CLIENT_ID = '2141029472.691202649728';
export const CLIENT_SECRET = 'test-client-secret-0123456789';

/** The settings of a status page whose people sign in with the test Slack at `slackUrl`, coming back to `publicUrl`. */
export function signInEnv(slackUrl: string, publicUrl: string): Record<string, string> {
  return {
    SLACK_CLIENT_ID: CLIENT_ID,
    SLACK_CLIENT_SECRET: CLIENT_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: 'signing-secret',
    SLACK_API_URL: slackUrl,
    PUBLIC_URL: publicUrl,
  };
}

/** A port nobody listens on right now, for a server whose PUBLIC_URL must be known beforehand. */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export const PEOPLE = {
  requester: { id: 'U0ALICE01', name: 'Alice Martin' },
  otherRequester: { id: 'U0BRUNO01', name: 'Bruno Petit' },
  technician: { id: 'U0TECHCAM', name: 'Camille Roux' },
  secondTechnician: { id: 'U0TECHDAN', name: 'Daniel Blanc' },
  admin: { id: 'U0ADMINEVE', name: 'Eve Admin' },
} as const;

/** The cast, with names, on the roster; returns services to act with. */
export async function seedPeople(db: Database): Promise<TicketServices & { as(id: string): TicketContext }> {
  await seedRoster(db, {
    technicianIds: [PEOPLE.technician.id, PEOPLE.secondTechnician.id],
    adminIds: [PEOPLE.admin.id],
  });
  for (const person of Object.values(PEOPLE)) {
    await db.models.User.upsert({
      id: person.id,
      name: person.name,
      realName: person.name,
      profileRefreshedAt: new Date(),
    } as never);
  }
  const services: TicketServices = { db, hooks: createTicketHooks(), logger: createLogger('silent') };
  return { ...services, as: (id: string) => asActor(services, id) };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** The text of an HTML page with tags removed and whitespace collapsed, for "the page says X". */
export function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');
}

/** Ticket numbers in the list, in page order. */
export function listedTicketIds(html: string): number[] {
  return [...html.matchAll(/<a href="\/tickets\/(\d+)">/g)].map((m) => Number(m[1]));
}
