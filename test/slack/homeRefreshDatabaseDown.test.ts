import { expect, it } from 'vitest';
import { createDatabase } from '../../src/db/index.js';
import { Publisher, type PublisherOptions } from '../../src/slack/publisher.js';
import { captureLogs } from '../support/logs.js';

// An App Home redraw after a ticket change is fired and forgotten (src/slack/hooks.ts). When the
// database cannot say whether the person's home is open (no connection free in time under load,
// or the database away), the redraw is skipped and logged: it must not reject, since an unhandled
// rejection ends the process (seen in bench:soak, the pool's acquire timeout).

it('an App Home redraw whose database lookup fails is logged and skipped, not thrown', async () => {
  const db = createDatabase('sqlite::memory:');
  await db.sequelize.close();
  const logs = captureLogs('warn');
  const publisher = new Publisher({ db, logger: logs.logger } as unknown as PublisherOptions);
  await expect(publisher.refreshHome('U0HOMEDOWN1')).resolves.toBeUndefined();
  expect(logs.entries).toEqual([
    expect.objectContaining({
      level: 40, // pino's warn
      slackUser: 'U0HOMEDOWN1',
      msg: 'could not tell whether an App Home is open; not redrawn',
    }),
  ]);
});
