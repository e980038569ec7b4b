import { execFile } from 'node:child_process';
import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The files that processes of this machine hold open, by real path, as far as this user can see
 * them: Linux's `/proc/<pid>/fd`, else `lsof` (macOS, the BSDs); `undefined` when neither can
 * tell (Windows). The gc leaves such files alone: a writer may still append to them.
 */
export async function openFilesOfProcesses(): Promise<Set<string> | undefined> {
  return (await fromProc()) ?? (await fromLsof());
}

/** `lsof -F n`: a line `n<path>` per open file. */
async function fromLsof(): Promise<Set<string> | undefined> {
  try {
    const { stdout } = await promisify(execFile)('lsof', ['-F', 'n', '-w'], {
      maxBuffer: 256 * 1024 * 1024,
    });
    return namesOf(stdout);
  } catch (error) {
    // lsof exits 1 when some process could not be read, with what it could read on stdout.
    const stdout = (error as { stdout?: unknown }).stdout;
    return typeof stdout === 'string' && stdout !== '' ? namesOf(stdout) : undefined;
  }
}

function namesOf(lsofOutput: string): Set<string> {
  return new Set(
    lsofOutput.split('\n').flatMap((line) => (line.startsWith('n') ? [line.slice(1)] : [])),
  );
}

async function fromProc(): Promise<Set<string> | undefined> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const open = new Set<string>();
  await Promise.all(
    pids.map(async (pid) => {
      const fdDir = join('/proc', pid, 'fd');
      let fds: string[];
      try {
        fds = await readdir(fdDir);
      } catch {
        return; // Gone, or another user's process.
      }
      await Promise.all(
        fds.map(async (fd) => {
          try {
            open.add(await readlink(join(fdDir, fd)));
          } catch {
            // Closed meanwhile.
          }
        }),
      );
    }),
  );
  return open;
}
