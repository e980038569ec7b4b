import { join } from 'node:path';
import { createServer } from 'node:net';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { backfilledHome, runCli } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import { runServe } from './serve.js';

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
