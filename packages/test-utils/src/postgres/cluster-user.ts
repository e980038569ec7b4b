import { execFile, execFileSync } from 'node:child_process';
import { chownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The unprivileged user a cluster runs as when the tests run as root. */
export interface ClusterUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The user to run `initdb` and `pg_ctl` as: `undefined` (this process's own user) unless this
 * process is root, which `initdb` refuses; then `postgres` when it exists (Debian's package
 * creates it), else `nobody`.
 *
 * @example
 * ```ts
 * clusterUser(); // { name: 'postgres', uid: 101, gid: 104 } when run as root on Debian
 * ```
 */
export function clusterUser(): ClusterUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = idOf(name, '-u');
    const gid = idOf(name, '-g');
    if (uid !== undefined && gid !== undefined) return { name, uid, gid };
  }
  throw new Error(
    'running as root, which initdb refuses, and neither a postgres nor a nobody user exists to ' +
      'run the test cluster as',
  );
}

function idOf(name: string, flag: '-u' | '-g'): number | undefined {
  try {
    const out = execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim();
    return /^\d+$/.test(out) ? Number(out) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Gives `path` and everything under it (symbolic links themselves, not followed) to `user`.
 *
 * @example
 * ```ts
 * if (user) chownTree(dir, user);
 * ```
 */
export function chownTree(path: string, user: ClusterUser): void {
  chownSync(path, user.uid, user.gid);
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), user);
}

/** What a finished PostgreSQL program printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a PostgreSQL program (arguments as an array, no shell) as `user` when given, in `cwd`
 * (a folder that user can read: `initdb` and `pg_ctl` complain otherwise). Rejects with an error
 * that carries the program's output.
 *
 * @example
 * ```ts
 * await runProgram(binaries.pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { cwd: dir, user });
 * ```
 */
export function runProgram(
  file: string,
  args: readonly string[],
  options: { cwd: string; user: ClusterUser | undefined; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
        ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
      },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout}${stderr}`.trim();
          reject(
            new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${output}`, {
              cause: error,
            }),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}
