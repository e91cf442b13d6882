import { expect, it } from 'vitest';
import { sqlRead } from '../../src/db/sql.js';
import { isNodeNotReady, isRetryableLockError, runInTransaction } from '../../src/db/transaction.js';
import { describeEachDatabase } from '../support/db.js';

// Galera's refusals, retried as deadlocks are (src/db/transaction.ts): a certification failure
// arrives as 1213, and a node that left the cluster answers 1047 to everything (then the
// transaction runs again on a new connection, which the load balancer sends to another node).

const wsrepError = (errno: number, message: string) =>
  Object.assign(new Error(message), {
    errno,
    code: errno === 1047 ? 'ER_UNKNOWN_COM_ERROR' : 'ER_LOCK_DEADLOCK',
  });

describeEachDatabase('Galera refusals are retried', (suite) => {
  it('1213 from a certification failure and 1047 from a node not ready are retryable', () => {
    expect(isRetryableLockError(wsrepError(1213, 'Deadlock: wsrep aborted transaction'))).toBe(true);
    expect(isNodeNotReady(wsrepError(1047, 'WSREP has not yet prepared node for application use'))).toBe(
      true,
    );
    expect(isNodeNotReady({ parent: wsrepError(1047, 'wrapped by Sequelize') })).toBe(true);
    expect(isNodeNotReady(wsrepError(1213, 'deadlock'))).toBe(false);
  });

  it.runIf(suite.kind === 'mysql')(
    'a transaction refused with 1047 runs again, on a new connection',
    async () => {
      const connections: number[] = [];
      const result = await runInTransaction(suite.db, async (transaction) => {
        const [row] = await sqlRead<{ id: number }>(
          suite.db,
          transaction,
          'SELECT CONNECTION_ID() AS id',
          [],
        );
        connections.push(Number(row!.id));
        if (connections.length === 1)
          throw wsrepError(1047, 'WSREP has not yet prepared node for application use');
        return 'done';
      });
      expect(result).toBe('done');
      expect(connections).toHaveLength(2);
      expect(connections[1]).not.toBe(connections[0]);
    },
  );

  it('a certification failure (1213) runs the transaction again', async () => {
    let attempts = 0;
    const result = await runInTransaction(suite.db, async () => {
      attempts += 1;
      if (attempts === 1) throw wsrepError(1213, 'Deadlock: wsrep aborted transaction');
      return attempts;
    });
    expect(result).toBe(2);
  });
});
