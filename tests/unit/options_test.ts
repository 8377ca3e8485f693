/** The declarative options table: what the parser and the help make of it. */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { defineCommand } from "../../src/cli/options.ts";
import { UsageError } from "../../src/errors.ts";

const cmd = defineCommand({
  name: "demo",
  summary: "a demo",
  description: "Does nothing, for the tests.",
  positionals: [{ name: "ITEM", variadic: true, optional: true, help: "x" }],
  options: [
    { long: "user", short: "u", type: "string", value: "NAME", help: "u" },
    { long: "tag", short: "t", type: "list", value: "K:V", help: "t" },
    {
      long: "limit",
      short: "l",
      type: "int",
      value: "N",
      default: 20,
      help: "l",
    },
    { long: "depth", type: "int", value: "N", help: "d" },
    { long: "ratio", type: "number", value: "X", help: "r" },
    { long: "json", type: "flag", help: "j" },
    {
      long: "sort",
      type: "string",
      choices: ["cpu", "rss"],
      default: "cpu",
      help: "s",
    },
  ],
});

Deno.test("long, short, inline, repeated and positional", () => {
  const p = cmd.parse([
    "a",
    "--tag",
    "x:1",
    "-t",
    "y:2",
    "--tag=z:3",
    "-l5",
    "b",
    "-u",
    "ann",
    "--json",
    "--",
    "--not-an-option",
  ]);
  assertEquals(p.opts.tag, ["x:1", "y:2", "z:3"]);
  assertEquals(p.opts.limit, 5);
  assertEquals(p.opts.user, "ann");
  assertEquals(p.opts.json, true);
  assertEquals(p.positional, ["a", "b", "--not-an-option"]);
  assertEquals([...p.given].sort(), ["json", "limit", "tag", "user"]);
});

Deno.test("defaults when absent; given stays empty", () => {
  const p = cmd.parse([]);
  assertEquals(p.opts.limit, 20);
  assertEquals(p.opts.sort, "cpu");
  assertEquals(p.opts.depth, undefined);
  assertEquals(p.opts.user, undefined);
  assertEquals(p.opts.tag, []);
  assertEquals(p.opts.json, false);
  assertEquals(p.given.size, 0);
});

Deno.test("a single-valued option given twice: the last counts", () => {
  assertEquals(cmd.parse(["-u", "a", "--user", "b"]).opts.user, "b");
});

Deno.test("a negative number is a positional", () => {
  assertEquals(cmd.parse(["-5", "x"]).positional, ["-5", "x"]);
});

Deno.test("int wants a whole number >= 0", () => {
  for (const bad of ["-1", "1.5", "x", ""]) {
    assertThrows(
      () => cmd.parse([`--limit=${bad}`]),
      UsageError,
      "--limit wants a whole number >= 0",
    );
  }
  assertEquals(cmd.parse(["--depth", "0"]).opts.depth, 0);
});

Deno.test("number takes any finite number", () => {
  assertEquals(cmd.parse(["--ratio=-2.5"]).opts.ratio, -2.5);
  assertThrows(() => cmd.parse(["--ratio", "inf"]), UsageError, "a number");
});

Deno.test("choices: one of them, with a guess", () => {
  assertEquals(cmd.parse(["--sort", "rss"]).opts.sort, "rss");
  assertThrows(
    () => cmd.parse(["--sort", "rs"]),
    UsageError,
    'demo: --sort must be one of cpu, rss, not "rs" (did you mean rss?)',
  );
});

Deno.test("unknown options: one line, with a guess for long ones", () => {
  const e = assertThrows(() => cmd.parse(["--jsn"]), UsageError);
  assertEquals(e.message, "demo: unknown option --jsn (did you mean --json?)");
  assert(e instanceof UsageError && e.oneLine);
  assertEquals(
    assertThrows(() => cmd.parse(["-x"]), UsageError).message,
    "demo: unknown option -x",
  );
});

Deno.test("a value is needed; a flag takes none", () => {
  assertThrows(() => cmd.parse(["--user"]), UsageError, "--user needs a value");
  assertThrows(() => cmd.parse(["--json=1"]), UsageError, "takes no value");
});

Deno.test("globals after the command: -n, -v counted, -h", () => {
  const g = cmd.parse(["-v", "-vv", "-n", "--help"]).globals;
  assertEquals(g.verbose, 3);
  assertEquals(g.dryRun, true);
  assertEquals(g.help, true);
  assertThrows(() => cmd.parse(["--drop"]), UsageError, "unknown option");
});

Deno.test("passThrough: options only before the first positional", () => {
  const run = defineCommand({
    name: "run",
    summary: "s",
    description: "d",
    positionals: [{ name: "CMD", help: "c" }],
    options: [],
    passThrough: true,
    globals: ["auto", "help"],
  });
  const p = run.parse(["-a", "ls", "-h", "--auto"]);
  assertEquals(p.positional, ["ls", "-h", "--auto"]);
  assertEquals([p.globals.auto, p.globals.help], [true, false]);
  assertEquals(run.parse(["--", "-a"]).positional, ["-a"]);
});

Deno.test("no positionals declared: any is refused", () => {
  const none = defineCommand({
    name: "start",
    summary: "s",
    description: "d",
    options: [],
  });
  assertThrows(() => none.parse(["x"]), UsageError, "start takes no arguments");
});

Deno.test("an option declared twice is a bug found at load", () => {
  assertThrows(
    () =>
      defineCommand({
        name: "bad",
        summary: "s",
        description: "d",
        options: [{ long: "x", short: "n", type: "flag", help: "x" }],
      }),
    Error,
    "bad: option -n declared twice",
  );
});

Deno.test("the help text: synopsis, groups, defaults, globals", () => {
  const text = cmd.usage;
  assert(text.startsWith("usage: epmt demo [OPTIONS] [ITEM...]\n\n"), text);
  assert(text.includes("  -l, --limit N "), text);
  assert(text.includes("l (default 20)"), text);
  assert(text.includes("t (repeatable)"), text);
  assert(text.includes("global flags (here or before the command):"), text);
  assert(text.includes("  -n, --dry-run"), text);
});
