import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * When process `pid` started, as an opaque string that is equal for the same process and, in
 * practice, different for any later process given the same pid; `undefined` when there is no
 * such process (or it is a zombie: it has exited and only waits to be reaped); `null` when this
 * platform cannot tell.
 *
 * - Linux: the boot id (`/proc/sys/kernel/random/boot_id`) and field 22 of `/proc/<pid>/stat`
 *   (clock ticks since boot): `linux:<boot id>:<ticks>`. Two reads of small in-memory files.
 * - macOS and other Unix systems: `ps -o lstart= -p <pid>` (to the second): `ps:<lstart>`. A
 *   process spawn, so only used where `/proc` is missing.
 * - Windows, or when `ps` fails: `null`.
 *
 * @example
 * ```ts
 * const mine = processStartTime(process.pid); // 'linux:a32fd6ba-…:62974'
 * ```
 */
export function processStartTime(pid: number): string | null | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  if (process.platform === 'linux') return linuxStartTime(pid);
  if (process.platform === 'win32') return null;
  return psStartTime(pid);
}

let bootId: string | null | undefined;

/** The id of the running kernel's boot, read once (it cannot change while we run). */
function linuxBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

function linuxStartTime(pid: number): string | null | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No such process; anything else (no /proc, no permission) means we cannot tell.
    return code === 'ENOENT' || code === 'ESRCH' ? undefined : null;
  }
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so fields are counted from
  // the last `)`. After it come field 3 (state) … field 22 (starttime), i.e. index 19.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ticks = fields[19];
  if (state === 'Z' || state === 'X') return undefined;
  if (ticks === undefined || !/^\d+$/.test(ticks)) return null;
  return `linux:${linuxBootId() ?? 'unknown-boot'}:${ticks}`;
}

function psStartTime(pid: number): string | null | undefined {
  let output: string;
  try {
    output = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2_000,
    });
  } catch (error) {
    // `ps -p` exits 1 with no output when there is no such process.
    const status = (error as { status?: unknown }).status;
    const stdout = (error as { stdout?: unknown }).stdout;
    return status === 1 && (stdout === '' || stdout === undefined) ? undefined : null;
  }
  const started = output.trim().replace(/\s+/g, ' ');
  return started === '' ? undefined : `ps:${started}`;
}
