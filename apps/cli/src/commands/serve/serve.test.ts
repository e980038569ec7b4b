import { createServer } from 'node:net';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { DEFAULT_WEB_PORT } from '@agent-state/web';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { backfilledHome, codexHome, runCli } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';

import { SERVE_TOKEN_ENV, runServe, stderrLogger } from './serve.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** The first URL printed on stdout, once there is one. */
async function printedUrl(io: ReturnType<typeof captureIo>): Promise<string> {
  for (let tries = 0; tries < 200; tries += 1) {
    const match = /http:\/\/\S+/.exec(io.stdout.text());
    if (match) return match[0];
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no URL printed: ${io.stdout.text()}`);
}

describe('agent-state serve', () => {
  it('serves the home until stopped, then closes', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const io = captureIo();
    const controller = new AbortController();
    const running = runServe({ home, io, port: 0, open: false, signal: controller.signal });
    const url = await printedUrl(io);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(io.stdout.text()).toContain('Ctrl-C stops it.');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('RUN: echo hi');
    controller.abort();
    await expect(running).resolves.toBe(ExitCode.Ok);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('on a home without a store, says to run the backfill and still serves the threads', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const io = captureIo();
    const controller = new AbortController();
    const running = runServe({ home, io, port: 0, open: false, signal: controller.signal });
    const url = await printedUrl(io);
    expect(io.stderr.text()).toContain('has no store yet');
    expect(io.stderr.text()).toContain('agent-state backfill');
    const page = await fetch(url);
    expect(await page.text()).toContain('RUN: echo hi');
    controller.abort();
    await expect(running).resolves.toBe(ExitCode.Ok);
  });

  it('prints the URL with its token, and a warning, on a non-loopback host', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const io = captureIo();
    const controller = new AbortController();
    const running = runServe({
      home,
      io,
      port: 0,
      host: '0.0.0.0',
      token: 'cli-token-123456',
      open: false,
      signal: controller.signal,
    });
    const url = await printedUrl(io);
    expect(new URL(url).searchParams.get('token')).toBe('cli-token-123456');
    expect(io.stdout.text()).toContain('can read these transcripts');
    controller.abort();
    await expect(running).resolves.toBe(ExitCode.Ok);
  });

  it('takes the token from $AGENT_STATE_SERVE_TOKEN (out of sight of ps); --token wins', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    for (const [token, expected] of [
      [undefined, 'env-token-123456'],
      ['flag-token-123456', 'flag-token-123456'],
    ] as const) {
      const io = captureIo({ env: { [SERVE_TOKEN_ENV]: 'env-token-123456' } });
      const controller = new AbortController();
      const running = runServe({
        home,
        io,
        port: 0,
        host: '0.0.0.0',
        token,
        open: false,
        signal: controller.signal,
      });
      const url = await printedUrl(io);
      expect(new URL(url).searchParams.get('token')).toBe(expected);
      controller.abort();
      await expect(running).resolves.toBe(ExitCode.Ok);
    }
  });

  it('logs failures on stderr, one line each', () => {
    const io = captureIo();
    const logger = stderrLogger(io).child({ target: 'agent_state::web' });
    logger.error('a page failed', { path: '/usage', error: 'cannot use the store:\nclosed' });
    logger.warn('slow');
    logger.info('not shown');
    expect(io.stderr.text()).toBe(
      [
        'agent-state serve: error: a page failed {"path":"/usage","error":"cannot use the store:\\nclosed"}',
        'agent-state serve: warn: slow',
        '',
      ].join('\n'),
    );
  });

  it('documents the token variable and the default port in its help', async () => {
    const run = await runCli(['serve', '--help']);
    expect(run.stdout).toContain('AGENT_STATE_SERVE_TOKEN');
    expect(run.stdout).toContain(`default ${DEFAULT_WEB_PORT}`);
  });

  it('names a port in use (exit 2)', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await runCli(['--home', home, 'serve', '--port', String(port)]);
      expect(run.exitCode).toBe(ExitCode.Usage);
      expect(run.stderr).toContain(`port ${port} is in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a home that does not exist (exit 3) and a bad port (exit 2)', async () => {
    const missing = join(temp.make('serve'), 'nowhere');
    expect((await runCli(['--home', missing, 'serve', '--port', '0'])).exitCode).toBe(
      ExitCode.NotFound,
    );
    const bad = await runCli(['--home', missing, 'serve', '--port', '70000']);
    expect(bad.exitCode).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain('--port');
  });
});
