import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createWebApp } from '../../src/web/app.js';
import { createTestDatabase } from '../support/db.js';
import { captureLogs } from '../support/logs.js';
import { texts } from '../support/texts.js';

it('/readyz tells anyone only “not ready”; the reason goes to the log, once', async () => {
  const database = await createTestDatabase('sqlite');
  const { logger, lines } = captureLogs();
  const app = createWebApp({
    config: loadConfig({ DATABASE_URL: database.url }),
    db: database.db,
    logger,
    texts,
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready' });
    await database.db.close();
    for (let i = 0; i < 3; i += 1) {
      const down = await fetch(`${url}/readyz`);
      expect(down.status).toBe(503);
      const body = await down.text();
      expect(JSON.parse(body)).toEqual({ status: 'not ready' });
      expect(body).not.toMatch(/database|closed|sqlite/i);
    }
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; reason?: string });
    const notReady = logged.filter((line) => line.msg === 'not ready');
    expect(notReady).toHaveLength(1);
    expect(notReady[0]?.reason).toMatch(/^database: /);
  } finally {
    server.close();
    server.closeAllConnections();
    await database.drop().catch(() => undefined);
  }
});
