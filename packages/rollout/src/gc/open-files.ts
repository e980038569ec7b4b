import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The files that processes of this machine hold open, by path, as far as this user can see them
 * (Linux's `/proc/<pid>/fd`); `undefined` where there is no `/proc` to ask (macOS, Windows).
 * The gc leaves such files alone: a writer may still append to them.
 */
export async function openFilesOfProcesses(): Promise<Set<string> | undefined> {
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
