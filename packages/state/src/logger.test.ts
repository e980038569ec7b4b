import { describe, expect, it } from 'vitest';

import { type LogRecord, createLogger, noopLogger } from './logger.js';

describe('loggers', () => {
  it('merges bindings of children with the fields of each entry and filters by level', () => {
    const records: LogRecord[] = [];
    const logger = createLogger((r) => records.push(r), {
      minLevel: 'info',
      bindings: { target: 'root' },
    });
    const child = logger.child({ target: 'agent_state::backfill', threadId: 't1' });
    child.debug('dropped');
    child.info('kept', { path: '/x' });
    logger.error('root error');
    expect(records).toEqual([
      {
        level: 'info',
        message: 'kept',
        fields: { target: 'agent_state::backfill', threadId: 't1', path: '/x' },
      },
      { level: 'error', message: 'root error', fields: { target: 'root' } },
    ]);
  });

  it('never throws into the caller', () => {
    const logger = createLogger(() => {
      throw new Error('sink down');
    });
    expect(() => logger.warn('still fine')).not.toThrow();
    expect(() => noopLogger.child({ a: 1 }).error('nothing')).not.toThrow();
  });
});
