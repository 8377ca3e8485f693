import type { Context } from "../context.ts";
import { UsageError, UserError } from "../../errors.ts";
import { defineCommand } from "../options.ts";
import * as log from "../../log.ts";
import { print } from "../../io.ts";

/** The table of `epmt serve`. */
export const command = defineCommand({
  name: "serve",
  summary: "a read-only web UI over the database",
  description:
    `Serves a read-only web UI over the configured database: the job list
(with the list command's filters), a page per job (the same as 'epmt
report'), two jobs compared, and an experiment's metric over time. The
database is opened read-only and never written. Ctrl-C stops it.`,
  options: [
    {
      long: "host",
      type: "string",
      value: "HOST",
      default: "127.0.0.1",
      help: "the address to listen on; anything but this machine's " +
        "loopback prints a warning: there is no authentication",
    },
    {
      long: "port",
      short: "p",
      type: "int",
      value: "N",
      default: 8080,
      help: "the port (0: any free one; the address is printed)",
    },
  ],
  notes:
    `There is no authentication and no TLS: anyone who reaches the port sees
every job. To share it, keep it on 127.0.0.1 and put the site's reverse
proxy (with its login) in front; docs/report.md shows how.`,
});

/** `epmt serve`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  // The table takes no positionals: the parser refuses any.
  const { opts } = ctx.parse(command, args);
  if (opts.port > 65535) {
    throw new UsageError(`serve: --port ${opts.port} is not a port (0-65535)`);
  }
  const { openStore } = await import("../../db/mod.ts");
  const { serve, isLoopback } = await import("../../serve/mod.ts");
  const store = await openStore(ctx.settings, {
    create: false,
    readOnly: true,
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    if (!isLoopback(opts.host)) {
      log.warning(
        `serving on ${opts.host}: anyone who can reach it sees every job ` +
          `(no authentication, no TLS); prefer 127.0.0.1 behind the site's ` +
          `reverse proxy (docs/report.md)`,
      );
    }
    let server: Deno.HttpServer;
    try {
      server = serve(store, {
        host: opts.host,
        port: opts.port,
        signal: stop.signal,
        onListen: ({ hostname, port }) => {
          const h = hostname.includes(":") ? `[${hostname}]` : hostname;
          print(
            `epmt serve: http://${h}:${port}/ (read-only, ${store.description}); Ctrl-C stops`,
          );
        },
      });
    } catch (e) {
      throw new UserError(
        `serve: cannot listen on ${opts.host}:${opts.port}: ${
          e instanceof Error ? e.message : String(e)
        }`,
      );
    }
    await server.finished;
    print("epmt serve: stopped");
    return 0;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    await store.close();
  }
}
