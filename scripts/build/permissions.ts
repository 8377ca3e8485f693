/**
 * The Deno permissions epmt runs with, in one place so that the compiled
 * binary and the bundle's launcher get the same ones. Narrow where epmt's
 * needs are narrow; whole where they are not:
 * - read, write: job directories, archives and SQLite files live anywhere.
 * - env: the whole environment is read (batch variables) and handed on to
 *   the program `run` starts.
 * - run: `run` starts any program the user names.
 * - net: only the database server(s), when the build is told which.
 * - sys: only the few facts epmt records about the host and user.
 * Never ffi, import or -A.
 */

/** The `--allow-sys` names epmt uses (Deno.hostname, Deno.uid, ...). */
export const SYS_NAMES = ["hostname", "uid", "gid"];

/**
 * The permission flags for `deno compile` and `deno run`.
 * `dbHosts` narrows network access to those hosts (host or host:port);
 * empty means any host, since the database server is a site's choice.
 *
 * @example
 * runtimePermissions(["db.example.org:5432"]);
 */
export function runtimePermissions(dbHosts: string[]): string[] {
  return [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    dbHosts.length > 0 ? `--allow-net=${dbHosts.join(",")}` : "--allow-net",
    `--allow-sys=${SYS_NAMES.join(",")}`,
  ];
}
