/**
 * The Deno permissions epmt runs with, in one place so that the compiled
 * binary and the bundle's launcher get the same ones.
 *
 * By default that is `--allow-all`. epmt needs read, write, env and run
 * whole (job directories, archives and SQLite files live anywhere; `run`
 * hands the whole environment to any program the user names), and a
 * program allowed to run any program is not held by the rest of Deno's
 * sandbox. Any grant narrower than -A, even `--allow-read` without a list,
 * makes Deno resolve every path it opens with one readlink per path
 * component: 4 syscalls more per file, +0.8 s of CPU for a job of 100,000
 * per-process files on our 2-core build machine (1.9 s against 1.1 s).
 *
 * `--db-host` builds keep the narrow grants, since narrowing the network
 * to the database servers is what they are asked for: net only to those
 * hosts, sys only for the few facts epmt records. They pay the readlinks.
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
  if (dbHosts.length === 0) return ["--allow-all"];
  return [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    `--allow-net=${dbHosts.join(",")}`,
    `--allow-sys=${SYS_NAMES.join(",")}`,
  ];
}
