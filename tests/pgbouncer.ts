/**
 * A pgbouncer of the test's own, in transaction pooling mode, in front of
 * the test PostgreSQL server: its own config in a temporary directory, on a
 * free port, stopped by `stop()`. `startPgbouncer` resolves to a reason
 * string instead when pgbouncer is not installed (Debian package
 * pgbouncer; scripts/install.sh installs it) or will not start.
 */
import { join } from "node:path";
import { PG_HOST, PG_PORT, PG_USER } from "./pg.ts";

/** A running pgbouncer. */
export interface Pgbouncer {
  port: number;
  /** Server connections it opens per database and user. */
  poolSize: number;
  stop(): Promise<void>;
}

const CANDIDATES = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"];

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts one, or says why it cannot. */
export async function startPgbouncer(
  poolSize = 4,
): Promise<Pgbouncer | string> {
  const bin = CANDIDATES.find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (!bin) {
    return "pgbouncer is not installed (apt-get install pgbouncer, or scripts/install.sh)";
  }
  const dir = await Deno.makeTempDir({ prefix: "epmt-pgbouncer-" });
  // pgbouncer will not run as root: it drops to nobody, who must reach these.
  await Deno.chmod(dir, 0o777);
  const port = freePort();
  await Deno.writeTextFile(join(dir, "users.txt"), `"${PG_USER}" ""\n`);
  await Deno.writeTextFile(
    join(dir, "pgbouncer.ini"),
    `[databases]
* = host=${PG_HOST} port=${PG_PORT}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, "users.txt")}
pool_mode = transaction
default_pool_size = ${poolSize}
max_client_conn = 500
logfile = ${join(dir, "pgbouncer.log")}
pidfile = ${join(dir, "pgbouncer.pid")}
`,
  );
  const args = [join(dir, "pgbouncer.ini")];
  if (Deno.uid() === 0) args.unshift("-u", "nobody");
  const child = new Deno.Command(bin, {
    args,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const errText = new Response(child.stderr).text();
  // Ready when it accepts connections.
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return {
        port,
        poolSize,
        async stop() {
          try {
            child.kill("SIGINT");
          } catch {
            // already ended
          }
          await child.status;
          await errText;
          await Deno.remove(dir, { recursive: true });
        },
      };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    child.kill("SIGKILL");
  } catch {
    // already ended
  }
  await child.status;
  const log = await Deno.readTextFile(join(dir, "pgbouncer.log")).catch(() =>
    ""
  );
  await Deno.remove(dir, { recursive: true });
  return `pgbouncer did not start: ${
    ((await errText) + log).trim().split("\n").slice(-2).join(" / ")
  }`;
}
