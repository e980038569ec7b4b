// `pgpass` ships no types: the one call the store makes.
declare module 'pgpass' {
  /** Looks the password of `connection` up in `$PGPASSFILE` (else `~/.pgpass`), as libpq does. */
  function pgpass(
    connection: { host?: string; port?: number | string; database?: string; user?: string },
    callback: (password: string | undefined) => void,
  ): void;
  export = pgpass;
}
