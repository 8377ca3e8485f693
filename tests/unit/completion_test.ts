/**
 * `epmt completion bash`: the script is sourced in a real bash, and the
 * completion function is asked what it offers, as bash would on TAB.
 */
import { assert, assertEquals } from "../assert.ts";
import { join } from "node:path";
import { box } from "./cli.ts";

const b = await box();
const made = await b.epmt(["completion", "bash"]);
const script = join(b.dir, "epmt.bash");
await Deno.writeTextFile(script, made.stdout);

/** What `_epmt` puts in COMPREPLY for the command line `words` (cursor on the last). */
async function complete(...words: string[]): Promise<string[]> {
  const line = ["epmt", ...words];
  const quoted = line.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
  const r = await new Deno.Command("bash", {
    args: [
      "--norc",
      "-c",
      `source '${script}' || exit 9
COMP_WORDS=(${quoted}); COMP_CWORD=${line.length - 1}
_epmt; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    cwd: b.dir,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
  }).output();
  const err = new TextDecoder().decode(r.stderr);
  assertEquals([r.code, err], [0, ""]);
  return new TextDecoder().decode(r.stdout).split("\n").filter((l) => l)
    .sort();
}

Deno.test("completion bash: a script bash accepts, registered for epmt", async () => {
  assertEquals(made.code, 0, made.stderr);
  const r = await new Deno.Command("bash", {
    args: ["--norc", "-c", `source '${script}' && complete -p epmt`],
  }).output();
  assertEquals(new TextDecoder().decode(r.stdout), "complete -F _epmt epmt\n");
});

Deno.test("completion: command names", async () => {
  assertEquals(await complete("li"), ["list"]);
  assertEquals(await complete("s"), [
    "serve",
    "show",
    "source",
    "stage",
    "start",
    "stop",
    "submit",
  ]);
  assertEquals(await complete("-v", "exp"), ["export"]);
});

Deno.test("completion: global flags before the command", async () => {
  assertEquals(await complete("--dr"), ["--drop", "--dry-run"]);
});

Deno.test("completion: a command's options, aliases included", async () => {
  assertEquals(await complete("list", "--us"), ["--user"]);
  assertEquals(await complete("export", "1", "--f"), ["--format"]);
  const all = await complete("show", "-");
  for (const o of ["-t", "--tree", "-d", "--depth", "--json", "-n", "-h"]) {
    assert(all.includes(o), `${o} in ${all}`);
  }
});

Deno.test("completion: the choices of the option before the cursor", async () => {
  assertEquals(await complete("list", "procs", "1", "--sort", ""), [
    "cpu",
    "duration",
    "rss",
    "start",
  ]);
  assertEquals(await complete("export", "1", "-w", "t"), ["threads"]);
  assertEquals(await complete("source", "--shell", "tc"), ["tcsh"]);
  assertEquals(await complete("list", "--user", ""), [], "a name: no guess");
});

Deno.test("completion: positionals: words, command names, files", async () => {
  assertEquals(await complete("list", "pr"), ["procs"]);
  assertEquals(await complete("help", "comp"), ["compare", "completion"]);
  assertEquals(await complete("completion", ""), ["bash"]);
  assertEquals(await complete("dump", "epmt.b"), ["epmt.bash"]);
  assert((await complete("run", "bas")).includes("bash"));
  assertEquals(await complete("run", "-a", "ls", "epmt.b"), ["epmt.bash"]);
  assertEquals(
    await complete("run", "ls", "--au"),
    [],
    "run's options end at COMMAND",
  );
});

Deno.test("completion with no or another shell is a usage error", async () => {
  assertEquals((await b.epmt(["completion"])).code, 2);
  const r = await b.epmt(["completion", "fish"]);
  assertEquals(r.code, 2);
  assert(r.stderr.startsWith("ERROR:epmt: completion: only bash is supported"));
});
