/**
 * Whether this epmt may reach a PostgreSQL server: a bundle built with
 * `deno task build --db-host` may connect only to the servers named there,
 * and Deno's own refusal ("run again with the --allow-net flag") means
 * nothing to a user who cannot change how epmt is run.
 */
import { maskHost } from "../secrets.ts";

/**
 * Why epmt may not connect to `host`:`port`, or undefined when it may (a
 * Unix socket directory, "/...", needs no network permission).
 *
 * @example
 * const why = netRefusal("db.example.org", 5432);
 */
export function netRefusal(host: string, port: number): string | undefined {
  if (host.startsWith("/")) return undefined;
  const target = `${host}:${port}`;
  const { state } = Deno.permissions.querySync({ name: "net", host: target });
  if (state === "granted") return undefined;
  return `this epmt may not connect to ${
    maskHost(host)
  }:${port}: it was built to reach only its database servers (deno task build --db-host)`;
}
