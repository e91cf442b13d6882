import { once } from 'node:events';
import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startTicketbot } from '../../src/server.js';
import { createEmptyTestDatabase } from '../support/db.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('goes unready on SIGTERM, also for a client on a connection opened before', async () => {
  const empty = await createEmptyTestDatabase('sqlite');
  const bot = await startTicketbot(
    loadConfig({ PORT: '0', DATABASE_URL: empty.url }),
    createLogger('silent'),
  );
  try {
    // A load balancer's pooled connection, in the middle of sending its next probe.
    const socket = connect(Number(new URL(bot.url).port), '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    socket.write('GET /readyz HTTP/1.1\r\nHost: localhost\r\n');
    await pause(100);
    const stopped = bot.stop();
    await pause(100);
    socket.write('\r\n');
    await stopped;
    await pause(50);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 503/);
    expect(answer.toLowerCase()).toContain('connection: close');
  } finally {
    await bot.stop();
    await empty.drop();
  }
});
