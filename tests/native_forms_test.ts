/**
 * The collector's three output forms, its columns and escaping, compared
 * with real papiex output; and what it does when it should do nothing.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  BUILD,
  FIXTURES,
  names,
  papiexHeader,
  parseCsv,
  processes,
  readCsvs,
  run,
  scratch,
  splitCsvLine,
} from "./native_helpers.ts";
import { join } from "node:path";

const HOST = Deno.hostname();
const EVENT = "PERF_COUNT_SW_CPU_CLOCK";

Deno.test("per-process CSV: one file, papiex's columns, values from the right sources", async () => {
  const out = await scratch();
  // Date.now() has whole milliseconds; the collector has microseconds.
  const t0 = (Date.now() - 1) * 1000;
  const r = await run(["/bin/sleep", "0.2"], { options: EVENT, out });
  const t1 = (Date.now() + 1) * 1000;
  assertEquals(r.code, 0);
  assertEquals(r.stderr, "");
  const files = await names(out);
  assertEquals(files.length, 1);
  assertMatch(files[0], new RegExp(`^${HOST}-papiex-(\\d+)-0\\.csv$`));
  const csv = (await readCsvs(out)).get(files[0])!;
  assertEquals(csv.header, [...await papiexHeader(), EVENT]);
  assertEquals(csv.rows.length, 1);
  const p = csv.rows[0];
  assertEquals(files[0], `${HOST}-papiex-${p.pid}-0.csv`);
  assertEquals(p.tags, "");
  assertEquals(p.hostname, HOST);
  assertEquals(p.exename, "/bin/sleep");
  assertEquals(p.path, await Deno.realPath("/bin/sleep"));
  assertEquals(p.args, "0.2");
  assertEquals([p.exitcode, p.exitsignal, p.generation], ["0", "0", "0"]);
  assertEquals(p.ppid, String(Deno.pid));
  assertEquals([p.numtids, p.mpinumranks, p.mpirank], ["1", "0", "0"]);
  assertEquals(p.tid, p.pid);
  const [start, end] = [Number(p.start), Number(p.end)];
  assert(
    t0 <= start && start < end && end <= t1,
    `${t0} ${start} ${end} ${t1}`,
  );
  assert(end - start >= 190_000, `ran ${end - start} us`);
  // CPU time from getrusage (us) agrees with schedstat's run time (ns).
  const cpu = Number(p.usertime) + Number(p.systemtime);
  const oncpu = Number(p.time_oncpu) / 1000;
  assert(oncpu > 0 && Math.abs(cpu - oncpu) <= 10_000 + oncpu, "cpu times");
  assert(Number(p.timeslices) >= 1 && Number(p.rssmax) > 0);
  assert(Number(p.rchar) > 0 && Number(p.syscr) > 0, "io was read");
  assert(Number(p.minflt) > 0 && Number(p.num_threads) === 1);
  // starttime: microseconds since boot, before now.
  const uptime = Number(
    (await Deno.readTextFile("/proc/uptime")).split(" ")[0],
  );
  assert(0 < Number(p.starttime) && Number(p.starttime) <= uptime * 1e6);
  assert(Number(p[EVENT]) > 0, "the perf counter counted");
  await Deno.remove(out, { recursive: true });
});

Deno.test("COLLATED_CSV: one file per host and job, header once, named by job id", async (t) => {
  const root = await scratch();
  await t.step("job id from the directory name", async () => {
    const out = join(root, "user", "4242");
    await Deno.mkdir(out, { recursive: true });
    const r = await run(["/bin/bash", "-c", "/bin/true; /bin/true x"], {
      options: `${EVENT},COLLATED_CSV`,
      out: out + "/",
    });
    assertEquals(r.code, 0);
    assertEquals(await names(out), [`${HOST}-collated-papiex-4242-0.csv`]);
    const text = await Deno.readTextFile(join(out, (await names(out))[0]));
    assertEquals(
      text.split("\n").filter((l) => l.startsWith("tags,")).length,
      1,
    );
    const procs = processes(parseCsv(text));
    assertEquals(procs.map((p) => p.row.exename).sort(), [
      "/bin/bash",
      "/bin/true",
      "/bin/true",
    ]);
  });
  await t.step("EPMT_JOB_ID wins", async () => {
    const out = join(root, "elsewhere");
    await Deno.mkdir(out);
    await run(["/bin/true"], {
      options: "COLLATED_CSV",
      out,
      env: { EPMT_JOB_ID: "77.pbs" },
    });
    assertEquals(await names(out), [`${HOST}-collated-papiex-77.pbs-0.csv`]);
    const csv = parseCsv(
      await Deno.readTextFile(join(out, (await names(out))[0])),
    );
    assertEquals(csv.header, await papiexHeader());
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("COLLATED_TSV: papiex's header file and one line per process", async () => {
  const out = await scratch();
  const r = await run(
    ["/bin/bash", "-c", "ls / >/dev/null; /bin/sh -c true"],
    { options: `COLLATED_TSV,${EVENT}`, out },
  );
  assertEquals(r.code, 0);
  assertEquals(await names(out), [
    `${HOST}-papiex-header.tsv`,
    `${HOST}-papiex.tsv`,
  ]);
  const fixture = await Deno.readTextFile(
    join(FIXTURES, "papiex", "collated", "vm-papiex-header.tsv"),
  );
  const header = await Deno.readTextFile(
    join(out, `${HOST}-papiex-header.tsv`),
  );
  assertEquals(header, fixture.replace("}", `,${EVENT}}`));
  const names29 = header.slice(1, header.indexOf("}")).split(",");
  const lines = (await Deno.readTextFile(join(out, `${HOST}-papiex.tsv`)))
    .trimEnd().split("\n");
  assertEquals(lines.length, 3);
  for (const line of lines) {
    const f = line.split("\t");
    assertEquals(f.length, 16);
    assertMatch(f[0], /^\{-?\d+(,-?\d+)*\}$/);
    const values = f[0].slice(1, -1).split(",");
    assertEquals(values.length, names29.length * Number(f[12]), "numtids");
    assertEquals(f[2], HOST);
  }
  const exenames = lines.map((l) => l.split("\t")[3]).sort();
  assertEquals(exenames, ["/bin/bash", "/bin/sh", "ls"]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("escaping: CSV decodes back to the arguments; TSV as papiex writes it", async () => {
  const out = await scratch();
  const arg = "a,b\\c\nd\te\x07f";
  const r = await run([`${BUILD}/crash`, "none", arg], { options: "", out });
  assertEquals(r.code, 1);
  assertEquals(await names(out), [], "empty PAPIEX_OPTIONS collects nothing");
  await run([`${BUILD}/crash`, "none", arg], {
    options: "COLLATED_CSV",
    out,
    env: { PAPIEX_TAGS: "op:ocean;op_instance:2" },
  });
  const text = await Deno.readTextFile(join(out, (await names(out))[0]));
  const line = text.split("\n")[1];
  assert(line.includes("none a\\,b\\\\c\\nd\\te\\af"), line);
  const p = parseCsv(text).rows[0];
  assertEquals(p.args, "none " + arg);
  assertEquals(p.tags, "op:ocean;op_instance:2");
  assertEquals(splitCsvLine(line).length, (await papiexHeader()).length);
  await Deno.remove(join(out, (await names(out))[0]));
  await run([`${BUILD}/crash`, "none", arg], {
    options: "COLLATED_TSV",
    out,
  });
  const tsv = await Deno.readTextFile(join(out, `${HOST}-papiex.tsv`));
  assertEquals(tsv.split("\t").at(-1), "none a,b\\c\\nd\\te\\af\n");
  await Deno.remove(out, { recursive: true });
});

Deno.test("events the machine cannot count leave an empty column, never a failure", async () => {
  const out = await scratch();
  const events = [
    "PERF_COUNT_HW_INSTRUCTIONS",
    "PERF_COUNT_SW_CONTEXT_SWITCHES",
    "NO_SUCH_EVENT",
    "PERF_COUNT_HW_CACHE_L1D:READ:MISS",
  ];
  const r = await run([`${BUILD}/threads`, "2", "join", "1000000"], {
    options: events.join(","),
    out,
  });
  assertEquals([r.code, r.stderr], [0, ""]);
  const csv = [...(await readCsvs(out)).values()][0];
  assertEquals(csv.header.slice(-4), events);
  assertEquals(csv.rows.length, 3);
  for (const row of csv.rows) {
    assertEquals(row.NO_SUCH_EVENT, "");
    assertMatch(row.PERF_COUNT_SW_CONTEXT_SWITCHES, /^\d+$/);
    // Hardware counters: counted where there are some, else empty.
    assertMatch(row.PERF_COUNT_HW_INSTRUCTIONS, /^(\d+)?$/);
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("nothing is written, and nothing changes, when it cannot or should not be", async (t) => {
  const root = await scratch();
  const cmd = ["/bin/bash", "-c", "echo out; echo err >&2; exit 5"];
  const bare = await run(cmd);
  const same = (r: typeof bare) => {
    assertEquals(r.code, bare.code);
    assertEquals(r.stdout, bare.stdout);
    assertEquals(r.stderr, bare.stderr);
  };
  await t.step("PAPIEX_OPTIONS unset", async () => {
    const r = await run(cmd, {
      env: { LD_PRELOAD: `${BUILD}/../libepmt.so`, PAPIEX_OUTPUT: root },
    });
    same(r);
    assertEquals(await names(root), []);
  });
  await t.step("output directory missing", async () => {
    const missing = join(root, "no", "such", "dir");
    same(await run(cmd, { options: `${EVENT},COLLATED_CSV`, out: missing }));
    same(await run(cmd, { options: EVENT, out: missing }));
    same(await run(cmd, { options: "COLLATED_TSV", out: missing }));
    assertEquals(await names(root), []);
  });
  await t.step("output directory not writable", async () => {
    for (const form of [EVENT, "COLLATED_CSV", "COLLATED_TSV"]) {
      same(await run(cmd, { options: form, out: "/proc/" }));
    }
  });
  await t.step(
    "a relative directory is fixed at start, whatever cd follows",
    async () => {
      await Deno.mkdir(join(root, "rel"));
      const r = await run(["/bin/bash", "-c", "cd /; /bin/true"], {
        options: "COLLATED_CSV",
        out: "rel",
        cwd: root,
      });
      assertEquals(r.code, 0);
      assertEquals(await names(root), ["rel"]);
      const procs = processes(
        parseCsv(
          await Deno.readTextFile(
            join(root, "rel", (await names(join(root, "rel")))[0]),
          ),
        ),
      );
      assertEquals(procs.length, 2);
    },
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("the library says its version where epmt --version looks", async () => {
  const bytes = await Deno.readFile(join(BUILD, "..", "libepmt.so"));
  const text = new TextDecoder("latin1").decode(bytes);
  assertMatch(text, /EPMT_COLLECTOR_VERSION=\d+\.\d+\.\d+\0/);
});

Deno.test("a full output disk: the programs are unaffected, no row is torn", async (t) => {
  const root = await scratch();
  const disk = join(root, "disk");
  await Deno.mkdir(disk);
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk],
    stderr: "null",
  }).output();
  if (!mount.success) {
    // Needs root (the machines the project runs its tests on).
    console.log("  (skipped: cannot mount a small tmpfs here)");
    await Deno.remove(root, { recursive: true });
    return;
  }
  try {
    const long = "x,".repeat(1500);
    const cmd = [`${BUILD}/swarm`, "100", long];
    for (const options of ["COLLATED_CSV", "COLLATED_TSV", EVENT]) {
      await t.step(options, async () => {
        const r = await run(cmd, { options, out: disk });
        assertEquals([r.code, r.signal, r.stderr], [0, null, ""]);
        const files = await names(disk);
        let rows = 0;
        for (const name of files) {
          const text = await Deno.readTextFile(join(disk, name));
          if (name.endsWith(".csv")) {
            // Every row complete (parseCsv checks the field count).
            const procs = processes(parseCsv(text));
            for (const p of procs) assertEquals(p.row.args, `100 ${long}`);
            rows += procs.length;
          } else if (name.endsWith("papiex.tsv")) {
            for (const line of text.split("\n").slice(0, -1)) {
              assertEquals(line.split("\t").length, 16);
              rows++;
            }
          }
          await Deno.remove(join(disk, name));
        }
        assert(rows > 0 && rows < 101, `the disk filled up after ${rows}`);
      });
    }
  } finally {
    await new Deno.Command("umount", { args: [disk] }).output();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("args are recorded whole, however long the command line", async () => {
  const out = await scratch();
  // 300 KiB in 3 arguments (each under the kernel's 128 KiB per argument).
  const big = ["a", "b", "c"].map((c) => c.repeat(100 * 1024));
  const r = await run([`${BUILD}/crash`, "none", ...big], {
    options: "COLLATED_CSV",
    out,
  });
  assertEquals(r.code, 1);
  const text = await Deno.readTextFile(join(out, (await names(out))[0]));
  const p = parseCsv(text).rows[0];
  assertEquals(p.args.length, "none".length + 3 * (100 * 1024 + 1));
  assertEquals(p.args, ["none", ...big].join(" "));
  await Deno.remove(out, { recursive: true });
});
