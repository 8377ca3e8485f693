/**
 * The archive code (stage's createArchive + listArchive verify, submit's
 * extractArchive) against GNU tar + gzip on the same files in the same
 * rounds, as ratios; and the memory it needs for a large member, to show
 * that it streams.
 *
 *     deno task bench archive [--rounds N] [--copies N] [--big-mib N]
 *
 * Data: the scale2k fixture (2,603 small collector files), copied --copies
 * times into one job directory; and one --big-mib MiB file for memory.
 * GNU tar is only the yardstick here: epmt itself never runs tar.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  createArchive,
  extractArchive,
  listArchive,
} from "../src/archive/mod.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "5" },
    copies: { type: "string", default: "4" },
    "big-mib": { type: "string", default: "512" },
  },
});
const rounds = Number(opt.rounds);
const copies = Number(opt.copies);
const bigMiB = Number(opt["big-mib"]);

const here = new URL(".", import.meta.url).pathname;
// The repository's copy of the shared fixtures (tests/fixtures/README.md).
const fixtures = join(here, "..", "tests", "fixtures", "papiex", "scale2k.tgz");

async function sh(cmd: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `${cmd.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

const work = await Deno.makeTempDir({ prefix: "epmt-bench-archive-" });
try {
  // The job directory: scale2k unpacked `copies` times, files renamed apart.
  const job = join(work, "job");
  await Deno.mkdir(job);
  const unpack = join(work, "unpack");
  await Deno.mkdir(unpack);
  await sh(["tar", "xzf", fixtures, "-C", unpack]);
  const sources: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (e.isFile) sources.push(p);
    }
  };
  walk(unpack);
  const files: string[] = [];
  for (let c = 0; c < copies; c++) {
    for (const [i, src] of sources.entries()) {
      const name = `c${c}-${i}-${src.split("/").pop()}`;
      await Deno.copyFile(src, join(job, name));
      files.push(name);
    }
  }
  const bytes = files.reduce((n, f) => n + Deno.statSync(join(job, f)).size, 0);
  console.log(
    `archive: ${files.length} files, ${
      (bytes / 1e6).toFixed(1)
    } MB, ${rounds} rounds`,
  );

  const times: Record<string, number[]> = {};
  const time = async (name: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    (times[name] ??= []).push(performance.now() - t0);
  };
  const list = join(work, "files.txt");
  await Deno.writeTextFile(list, files.join("\n") + "\n");
  for (let r = 0; r < rounds; r++) {
    const ours = join(work, `ours-${r}.tgz`);
    const theirs = join(work, `tar-${r}.tgz`);
    const outA = join(work, `xa-${r}`);
    const outB = join(work, `xb-${r}`);
    await Deno.mkdir(outA);
    await Deno.mkdir(outB);
    // Interleaved, so load on the machine hits both alike.
    await time(
      "create: tar czf",
      () => sh(["tar", "czf", theirs, "-C", job, "-T", list]),
    );
    await time("create: createArchive", () => createArchive(ours, job, files));
    await time("verify: tar tzf", () => sh(["tar", "tzf", theirs]));
    await time("verify: listArchive (sha256)", () => listArchive(ours));
    await time(
      "extract: tar xzf",
      () => sh(["tar", "xzf", theirs, "-C", outB]),
    );
    await time("extract: extractArchive", () => extractArchive(ours, outA));
    for (const p of [ours, theirs, outA, outB]) {
      await Deno.remove(p, { recursive: true });
    }
  }
  const median = (xs: number[]) =>
    [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log("step                              median   vs GNU tar");
  for (const step of ["create", "verify", "extract"]) {
    const names = Object.keys(times).filter((n) => n.startsWith(step));
    const base = median(times[names[0]]);
    for (const n of names) {
      const m = median(times[n]);
      console.log(
        `${n.padEnd(32)} ${m.toFixed(0).padStart(6)} ms  ${
          (m / base).toFixed(2)
        }x`,
      );
    }
  }

  // Memory: one big member through create, verify and extract. If the code
  // streams, the peak RSS grows by a few MB, not by the file's size.
  const big = join(work, "big");
  await Deno.mkdir(big);
  const chunk = new Uint8Array(1 << 20);
  const f = await Deno.open(join(big, "vm-collated-papiex-1-0.csv"), {
    write: true,
    create: true,
  });
  for (let i = 0; i < bigMiB; i++) {
    for (let j = 0; j < chunk.length; j++) chunk[j] = (j * 31 + i) & 0x7f;
    await f.write(chunk);
  }
  f.close();
  const hwm = () =>
    Number(
      Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+)/)![1],
    ) / 1024;
  const before = hwm();
  const bigOut = join(work, "big.tgz");
  const t0 = performance.now();
  await createArchive(bigOut, big, ["vm-collated-papiex-1-0.csv"]);
  await listArchive(bigOut);
  const dest = join(work, "bigx");
  await Deno.mkdir(dest);
  await extractArchive(bigOut, dest);
  const secs = (performance.now() - t0) / 1000;
  const after = hwm();
  console.log(
    `memory: ${bigMiB} MiB member created, verified and extracted in ${
      secs.toFixed(1)
    } s; peak RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB (+${
      (after - before).toFixed(0)
    } MiB, ${((after - before) / bigMiB).toFixed(3)} of the member's size)`,
  );
} finally {
  await Deno.remove(work, { recursive: true });
}
