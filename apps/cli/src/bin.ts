import module from 'node:module';

// Node 22.1+ keeps the compiled code of the modules it loads on disk, so a short command's
// start-up skips most of its compilation from the second run on (`NODE_DISABLE_COMPILE_CACHE=1`
// turns it off). Older versions do not have it. It must be on before the program's modules load,
// hence their dynamic import below.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const { main } = await import('./program.js');

// A reader that stops early (`agent-state threads list | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of crashing on EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

process.exitCode = await main(process.argv);
