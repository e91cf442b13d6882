import { createDatabase } from '../db/index.js';
import { migrateUp } from '../db/migrate.js';
import { redactUrl } from '../logger.js';
import { createTicketHooks } from '../tickets/index.js';
import { seedDemoHelpdesk } from './demoHelpdesk.js';
import { commandLogger, configFromEnvironment } from './environment.js';

// npm run seed:demo [-- --force]: fills the database with sample tickets so the status page can
// be tried right after `npm start`. Refuses a database that already has tickets.

const config = configFromEnvironment();
const logger = commandLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel);
const db = createDatabase(config.databaseUrl, { logger });
const out = (line: string) => process.stdout.write(`${line}\n`);
try {
  await migrateUp(db);
  const existing = await db.models.Ticket.count();
  if (existing > 0 && !process.argv.includes('--force')) {
    out(
      `${redactUrl(config.databaseUrl)} already has ${existing} tickets; nothing seeded (add -- --force to add the demo anyway).`,
    );
  } else {
    const seeded = await seedDemoHelpdesk(db, { db, hooks: createTicketHooks(), logger });
    out(`seeded ${seeded.people} people and ${seeded.tickets} tickets with comments, ratings and emails`);
    out(`Start ticketbot (npm start) and open ${config.publicUrl}/`);
  }
} catch (error) {
  process.stderr.write(`Seeding failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
