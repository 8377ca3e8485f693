/**
 * The test cluster never touches daemons it did not start: a program that
 * holds one of its ports (a site's own slurmctld, say) gets no request from
 * it, and `cluster.sh up` stops with exit 4 and a line saying which port and
 * how to choose others. Needs neither root nor SLURM: the check comes first.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ROOT, runCmd } from "./helpers.ts";

const CLUSTER_SH = join(ROOT, "scripts", "slurm", "cluster.sh");

/** A free port on 127.0.0.1 (the kernel's choice, released again). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("cluster.sh up leaves a stranger on its port alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "epmt-slurm-ports-" });
  // The stranger: counts the bytes anyone sends it (scontrol shutdown would).
  const stranger = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (stranger.addr as Deno.NetAddr).port;
  let received = 0;
  const serving = (async () => {
    for await (const conn of stranger) {
      (async () => {
        const buf = new Uint8Array(4096);
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            received += n;
          }
        } catch { /* the peer went away */ }
        conn.close();
      })();
    }
  })();
  try {
    const slurmdPort = freePort();
    const r = await runCmd("bash", [CLUSTER_SH, "up"], {
      env: {
        EPMT_SLURM_DIR: dir,
        EPMT_SLURM_CTLD_PORT: String(port),
        EPMT_SLURM_SLURMD_PORT: String(slurmdPort),
      },
    });
    assertEquals(r.code, 4, r.stderr);
    assertStringIncludes(
      r.stderr,
      `cluster.sh: port ${port} (SlurmctldPort) on 127.0.0.1 is held by a program that is not this cluster's; it is left alone (choose free ports with EPMT_SLURM_CTLD_PORT and EPMT_SLURM_SLURMD_PORT)`,
    );
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertEquals(received, 0, "nothing was sent to the stranger");
    // Nothing was started or written for the cluster.
    assert(!r.stderr.includes("installing"), r.stderr);
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "lock"),
      [],
    );
  } finally {
    stranger.close();
    await serving.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cluster.sh keeps off SLURM's own ports by default", async () => {
  const text = await Deno.readTextFile(CLUSTER_SH);
  const port = (name: string) =>
    Number(
      text.match(new RegExp(`${name}=\\$\\{EPMT_SLURM_\\w+:-(\\d+)\\}`))![1],
    );
  for (const p of [port("CTLD_PORT"), port("SLURMD_PORT")]) {
    assert(p !== 6817 && p !== 6818, `default port ${p}`);
  }
});
