import { runLogsClient } from './main.js';

// A reader that stops early (`logs_client … | head`) closes the pipe: stop quietly, as other
// command-line tools do, instead of crashing on EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

// Ctrl-C (or SIGTERM) is how following ends: the tail stops, closes the database and exits 0. A
// second signal is not caught and ends the process as usual.
const controller = new AbortController();
const stop = (): void => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

process.exitCode = await runLogsClient(process.argv.slice(2), { signal: controller.signal });
process.off('SIGINT', stop);
process.off('SIGTERM', stop);
