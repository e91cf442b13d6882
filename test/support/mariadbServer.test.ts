import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MariadbServer, privateServerSkipReason } from './mariadbServer.js';

// The private server tests use to stop and start a database of their own (the shared one on
// 3306 is never stopped): it keeps its data across a clean stop and across being killed.

const skipReason = privateServerSkipReason();

describe.skipIf(Boolean(skipReason))(
  `a private MariaDB server${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let server: MariadbServer;

    beforeAll(async () => {
      server = await MariadbServer.start({ name: 'private-test' });
      const connection = await server.connect();
      await connection.query('CREATE DATABASE kept');
      await connection.query('CREATE TABLE kept.rows_written (id INT PRIMARY KEY) ENGINE=InnoDB');
      await connection.end();
    });

    afterAll(async () => {
      await server?.destroy();
    });

    async function ids(): Promise<number[]> {
      const connection = await server.connect();
      const [rows] = await connection.query('SELECT id FROM kept.rows_written ORDER BY id');
      await connection.end();
      return (rows as Array<{ id: number }>).map((row) => row.id);
    }

    async function write(id: number): Promise<void> {
      const connection = await server.connect();
      await connection.query('INSERT INTO kept.rows_written (id) VALUES (?)', [id]);
      await connection.end();
    }

    it('runs on its own port, datadir and socket, all in its own folder', async () => {
      const connection = await server.connect();
      const [rows] = await connection.query(
        'SELECT @@port AS port, @@datadir AS datadir, @@socket AS socket',
      );
      await connection.end();
      const [row] = rows as Array<{ port: number; datadir: string; socket: string }>;
      expect(row).toEqual({ port: server.port, datadir: `${server.datadir}/`, socket: server.socket });
      expect(server.port).not.toBe(3306);
      expect(server.dir).not.toBe('');
    });

    it('refuses connections while stopped, and keeps its data across a clean stop', async () => {
      await write(1);
      await server.stop();
      expect(server.running).toBe(false);
      await expect(server.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await server.start();
      expect(await ids()).toEqual([1]);
    });

    it('keeps every committed row when it is killed (SIGKILL) and started again', async () => {
      await write(2);
      await server.kill();
      await expect(server.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await server.start();
      expect(await ids()).toEqual([1, 2]);
    });

    it('cuts the connections it had when it dies', async () => {
      const connection = await server.connect();
      await server.kill();
      await expect(connection.query('SELECT 1')).rejects.toMatchObject({ fatal: true });
      connection.destroy();
      await server.start();
    });

    it('is gone, folder and all, once destroyed', async () => {
      const other = await MariadbServer.start({ name: 'private-destroyed' });
      const { dir } = other;
      await other.destroy();
      expect(other.running).toBe(false);
      expect(existsSync(dir)).toBe(false);
    });
  },
);
