import { createServer } from 'node:http';

import { type LogRecord, createLogger } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { listen } from './listen.js';

describe('listen', () => {
  it('logs an error the server emits after it listens, instead of ending the process', async () => {
    const records: LogRecord[] = [];
    const server = createServer((_request, response) => response.end('ok'));
    try {
      const port = await listen(
        server,
        '127.0.0.1',
        0,
        createLogger((record) => records.push(record)),
      );
      expect(port).toBeGreaterThan(0);
      // Without a listener, an `error` event throws (and would end the process).
      expect(() => server.emit('error', new Error('accept failed: EMFILE'))).not.toThrow();
      expect(records).toEqual([
        {
          level: 'error',
          message: 'the server failed',
          fields: { error: 'accept failed: EMFILE' },
        },
      ]);
      const reply = await fetch(`http://127.0.0.1:${port}/`);
      expect(await reply.text()).toBe('ok');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
