/**
 * The collector must never change what a program does: the same bytes out,
 * the same signal dispositions as the program sees them, errno, no file
 * descriptors of ours, and no output of its own unless asked.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { allProcs, BUILD, names, run, scratch } from "./native_helpers.ts";
import { makeCollector } from "./helpers.ts";

const text = new TextDecoder();
/** Program output, with pipe and socket inode numbers (new in every run)
 * left out. */
const dec = {
  decode: (b: Uint8Array) =>
    text.decode(b).replace(/(pipe|socket):\[\d+\]/g, "$1"),
};

Deno.test("stdout is byte-identical with and without the collector (1 MB through pipes)", async () => {
  const out = await scratch();
  const cmd = ["/bin/bash", "-c", "seq 1 200000 | tr 0-9 a-j | cat"];
  const bare = await run(cmd);
  assert(bare.stdout.length > 1_000_000, `${bare.stdout.length} bytes`);
  for (
    const options of [
      "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV",
      "PERF_COUNT_SW_CPU_CLOCK",
      "COLLATED_TSV",
    ]
  ) {
    const r = await run(cmd, { options, out });
    assertEquals([r.code, r.signal, r.stderr], [0, null, ""], options);
    assertEquals(r.stdout, bare.stdout, options);
  }
  assertEquals((await allProcs(out)).length, 8, "4 in each CSV form");
  await Deno.remove(out, { recursive: true });
});

Deno.test("what the program sees of itself is unchanged: signals, errno, fds", async (t) => {
  const out = await scratch();
  const probe = [`${BUILD}/probe`];
  const bare = dec.decode((await run(probe)).stdout);
  await t.step("without events: identical", async () => {
    const r = await run(probe, { options: "COLLATED_CSV", out });
    assertEquals(dec.decode(r.stdout), bare);
    assertMatch(bare, /^signal 15 default$/m);
    assertMatch(bare, /^errno after sigaction 1234 /m);
    assertMatch(bare, /^errno after pthread_create 4321$/m);
  });
  const fds = (text: string) =>
    text.split("\n").filter((l) => l.startsWith("fds ")).join("\n");
  const rest = (text: string) =>
    text.split("\n").filter((l) => !l.startsWith("fds ")).join("\n");
  await t.step(
    "with a counted event: only the counter's fd, high up",
    async () => {
      const r = await run(probe, {
        options: "PERF_COUNT_SW_CPU_CLOCK,PERF_COUNT_SW_PAGE_FAULTS",
        out,
      });
      const seen = fds(dec.decode(r.stdout));
      const high = / (\d+)=anon_inode:\[perf_event\]/g;
      const counters = [...seen.matchAll(high)].map((m) => Number(m[1]));
      // One counter (page faults) at start and after the thread ended.
      assertEquals(counters.length, 2, seen);
      assert(counters.every((fd) => fd >= 100), seen);
      assertEquals(seen.replace(high, ""), fds(bare));
      assertEquals(rest(dec.decode(r.stdout)), rest(bare));
    },
  );
  await t.step("with clock events only: no fd at all", async () => {
    const r = await run(probe, {
      options: "PERF_COUNT_SW_CPU_CLOCK,PERF_COUNT_SW_TASK_CLOCK",
      out,
    });
    assertEquals(dec.decode(r.stdout), bare);
  });
  await t.step("signals the parent ignored stay ignored", async () => {
    const cmd = ["/bin/bash", "-c", `trap "" HUP INT PIPE; exec ${probe[0]}`];
    const b = dec.decode((await run(cmd)).stdout);
    assertMatch(b, /^signal 1 ignored$/m);
    const r = await run(cmd, { options: "COLLATED_CSV", out });
    assertEquals(dec.decode(r.stdout), b);
  });
  await Deno.remove(out, { recursive: true });
});

Deno.test("no output of its own unless PAPIEX_DEBUG is set", async () => {
  const out = await scratch();
  const cmd = ["/bin/bash", "-c", "/bin/true; /bin/true"];
  const quiet = await run(cmd, { options: "COLLATED_CSV", out: "/proc/" });
  assertEquals([quiet.stdout.length, quiet.stderr], [0, ""]);
  const loud = await run(cmd, {
    options: "COLLATED_CSV",
    out,
    env: { PAPIEX_DEBUG: "1" },
  });
  assertEquals(loud.stdout.length, 0);
  const lines = loud.stderr.trim().split("\n");
  assert(lines.length >= 4, loud.stderr);
  for (const l of lines) assertMatch(l, /^epmt-collector\[\d+\]: /);
  await Deno.remove(out, { recursive: true });
});

Deno.test("a static program is not collected and gets no fd of ours", async () => {
  const out = await scratch();
  const prog = `${BUILD}/static_fds`;
  const bare = await run([prog]);
  // A counted event (page faults), whose fd a collected image hands over
  // across exec, and a clock event, whose start it hands over.
  const options = "PERF_COUNT_SW_PAGE_FAULTS,PERF_COUNT_SW_CPU_CLOCK," +
    "COLLATED_CSV";
  const direct = await run([prog], { options, out });
  assertEquals(direct.stdout, bare.stdout);
  assertEquals(await names(out), []);
  // Started from a collected shell, whose counters could have been handed
  // over across exec: they must not be.
  const shell = await run(["/bin/bash", "-c", `${prog}; ${prog}`], {
    options,
    out,
  });
  assertEquals(dec.decode(shell.stdout), dec.decode(bare.stdout).repeat(2));
  const procs = await allProcs(out);
  assertEquals(procs.map((p) => p.row.exename), ["/bin/bash"]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("a program started without LD_PRELOAD gets no fd of ours", async () => {
  const out = await scratch();
  const probe = `${BUILD}/probe`;
  const bare = dec.decode((await run([probe])).stdout);
  const options = "PERF_COUNT_SW_PAGE_FAULTS,PERF_COUNT_SW_CPU_CLOCK," +
    "COLLATED_CSV";
  const r = await run(["/bin/bash", "-c", `env -u LD_PRELOAD ${probe}`], {
    options,
    out,
  });
  assertEquals(dec.decode(r.stdout), bare);
  const procs = await allProcs(out);
  assertEquals(procs.map((p) => p.row.exename).sort(), ["/bin/bash", "env"]);
  // Nor a variable of ours in its environment.
  const e = await run(["/bin/bash", "-c", "env -u LD_PRELOAD /usr/bin/env"], {
    options,
    out,
  });
  const vars = text.decode(e.stdout).split("\n");
  assert(vars.includes(`PAPIEX_OPTIONS=${options}`));
  assertEquals(vars.filter((v) => v.startsWith("EPMT_COLLECTOR")), []);
  await Deno.remove(out, { recursive: true });
});

Deno.test("the exec functions behave as glibc's: PATH search, scripts without #!, errors", async () => {
  const out = await scratch();
  const script = `${out}/noshebang`;
  await Deno.writeTextFile(script, 'echo "run by sh: $0 $1"\nexit 4\n');
  await Deno.chmod(script, 0o755);
  await Deno.mkdir(`${out}/records`);
  for (
    const cmd of [
      ["/usr/bin/env", script, "arg"], // execvp: ENOEXEC, so /bin/sh runs it
      ["/usr/bin/env", "noshebang", "arg"], // found along PATH
      ["/usr/bin/env", "no-such-command-anywhere"], // 127
      ["/usr/bin/env", "/etc"], // EACCES: 126
      ["/usr/bin/xargs", "-a", "/dev/null", "-r", "true"],
    ]
  ) {
    const env = { PATH: `/usr/bin:/bin:${out}` };
    const bare = await run(cmd, { env });
    const coll = await run(cmd, {
      env,
      options: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV",
      out: `${out}/records`,
    });
    assertEquals(
      [coll.code, dec.decode(coll.stdout), coll.stderr],
      [bare.code, dec.decode(bare.stdout), bare.stderr],
      cmd.join(" "),
    );
  }
  const procs = await allProcs(`${out}/records`);
  const sh = procs.filter((p) => p.row.exename === "/bin/sh");
  assertEquals(sh.length, 2, "the scripts ran under sh, and were recorded");
  for (const p of sh) assertEquals(p.row.exitcode, "4");
  await Deno.remove(out, { recursive: true });
});

Deno.test("exec with an empty argv: /bin/sh runs the file as glibc's would, within bounds", async () => {
  // The bounds-checked build of the collector traps (SIGILL) on an index
  // past an array, such as one pointer past sh[] in this fallback.
  await makeCollector();
  const out = await scratch();
  const script = `${out}/noshebang`;
  await Deno.writeTextFile(script, 'echo "run by sh: $#"\nexit 4\n');
  await Deno.chmod(script, 0o755);
  await Deno.mkdir(`${out}/records`);
  const cmd = [`${BUILD}/emptyargv`, script];
  const bare = await run(cmd);
  const checked = await run(cmd, {
    env: {
      LD_PRELOAD: `${BUILD}/libepmt_checked.so`,
      PAPIEX_OPTIONS: "COLLATED_CSV",
      PAPIEX_OUTPUT: `${out}/records`,
    },
  });
  assertEquals(bare.code, 4, bare.stderr);
  assertEquals(
    [checked.code, checked.signal, dec.decode(checked.stdout), checked.stderr],
    [bare.code, null, dec.decode(bare.stdout), bare.stderr],
  );
  const procs = await allProcs(`${out}/records`);
  assertEquals(
    procs.map((p) => [p.row.exename, p.row.generation, p.row.exitcode]),
    [[`${BUILD}/emptyargv`, "0", "0"], ["/bin/sh", "1", "4"]],
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("no libc call between fork and exec: exec.c does not use getenv", async () => {
  await makeCollector();
  const nm = await new Deno.Command("nm", {
    args: ["-u", `${BUILD}/exec.o`],
  }).output();
  assertEquals(nm.code, 0);
  const undefined_ = new TextDecoder().decode(nm.stdout);
  assert(!/\bgetenv\b/.test(undefined_), undefined_);
});
