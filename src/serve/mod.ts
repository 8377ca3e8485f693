/**
 * `epmt serve`: a read-only web UI over the database. The job list with
 * the list command's filters, a page per job (the report), two jobs
 * compared, and an experiment's metric over time. Binds 127.0.0.1 unless
 * told otherwise; there is no authentication (docs/report.md).
 *
 * @example
 * const store = await openStore(settings, { create: false, readOnly: true });
 * const server = serve(store, { host: "127.0.0.1", port: 8080 });
 * await server.finished;
 */
import type { Store } from "../db/mod.ts";
import { makeHandler } from "./app.ts";

export { EXP_METRICS, makeHandler } from "./app.ts";

/** Where to listen. */
export interface ServeOptions {
  /** @default "127.0.0.1" */
  host: string;
  /** 0: any free port. @default 8080 */
  port: number;
  /** Called once listening, with the address actually bound. */
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** True for the hosts that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Serves `store` until `opts.signal` aborts; `finished` resolves then. */
export function serve(store: Store, opts: ServeOptions): Deno.HttpServer {
  return Deno.serve({
    hostname: opts.host,
    port: opts.port,
    signal: opts.signal,
    onListen: (addr) => opts.onListen?.(addr),
    onError: () =>
      new Response("internal error", {
        status: 500,
        headers: { "content-type": "text/plain" },
      }),
  }, makeHandler(store));
}
