import { main } from './program.js';

// A reader that stops early (`agent-state threads list | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of crashing on EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

process.exitCode = await main(process.argv);
