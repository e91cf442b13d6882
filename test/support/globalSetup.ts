import mysql from 'mysql2/promise';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server URL (no database) for MySQL/MariaDB suites, or '' when they are skipped. */
    mysqlServerUrl: string;
    mysqlSkipReason: string;
  }
}

const DEFAULT_URL = 'mysql://root@127.0.0.1:3306/';

/**
 * Finds the MySQL/MariaDB server the database suites also run against. TEST_DATABASE_URL
 * (CI sets it) must work; without it the local default is tried, and if nothing answers the
 * MySQL suites are skipped with a line saying so. SQLite suites always run.
 */
export default async function setup(project: TestProject) {
  const configured = process.env.TEST_DATABASE_URL;
  const url = configured || DEFAULT_URL;
  const serverUrl = new URL(url);
  serverUrl.pathname = '/';
  try {
    const connection = await mysql.createConnection({ uri: serverUrl.toString(), connectTimeout: 3000 });
    const [rows] = await connection.query('SELECT VERSION() AS version');
    await connection.end();
    const version = (rows as Array<{ version: string }>)[0]?.version;
    process.stdout.write(`\n[db] MySQL/MariaDB suites run against ${serverUrl.host} (server ${version})\n`);
    project.provide('mysqlServerUrl', serverUrl.toString());
    project.provide('mysqlSkipReason', '');
  } catch (error) {
    if (configured) {
      throw new Error(`TEST_DATABASE_URL is set but the server does not answer: ${(error as Error).message}`);
    }
    const reason = `no MySQL/MariaDB at ${serverUrl.host} (${(error as Error).message}); set TEST_DATABASE_URL to run them`;
    process.stdout.write(`\n[db] SKIPPING every MySQL/MariaDB suite: ${reason}. SQLite suites still run.\n`);
    project.provide('mysqlServerUrl', '');
    project.provide('mysqlSkipReason', reason);
  }
}
