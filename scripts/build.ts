/**
 * `deno task build`: makes what a site installs.
 *
 * 1. The collector (make -C native), built again for shipping with its
 *    glibc 2.34 symbols bound to their older versions (build/collector.ts),
 *    so it loads on older systems too.
 * 2. `deno compile` -> dist/epmt with dist/lib/libepmt.so beside it. Deno
 *    downloads its runtime for this; where it cannot, one line says so and
 *    the build goes on.
 * 3. The portable bundle dist/epmt-<version>-<os>-<arch>/ (launcher, one JS
 *    file, the deno executable, the collector, settings, docs), checked by
 *    running its `epmt --version` with an empty environment.
 * 4. dist/epmt-<version>-<os>-<arch>.tar.gz of that folder.
 *
 * Options: --out DIR (default dist), --db-host HOST[:PORT] (repeatable:
 * allow network access only to these database servers), --no-compile,
 * --no-tar, --no-glibc-compat (ship native/libepmt.so as built).
 */
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { VERSION } from "../src/version.ts";
import { collectorVersion } from "../src/job/mod.ts";
import { makeBundle } from "./build/bundle.ts";
import { compile } from "./build/compile.ts";
import { buildCompatCollector, movedImports } from "./build/collector.ts";
import { compareVersions, glibcNeeded } from "./build/glibc.ts";
import { runtimePermissions } from "./build/permissions.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: join(ROOT, "dist") },
    "db-host": { type: "string", multiple: true, default: [] },
    "no-compile": { type: "boolean", default: false },
    "no-tar": { type: "boolean", default: false },
    "no-glibc-compat": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opt.help) {
  console.log(
    "usage: deno task build [--out DIR] [--db-host HOST[:PORT]]... " +
      "[--no-compile] [--no-tar] [--no-glibc-compat]",
  );
  Deno.exit(0);
}

const out = opt.out;
const deno = Deno.execPath();
const permissions = runtimePermissions(opt["db-host"]);
const platform = `${Deno.build.os}-${Deno.build.arch}`;
const show = (p: string) => relative(Deno.cwd(), p) || ".";
const say = (msg: string) => console.log(`build: ${msg}`);
let scratch: string | undefined;

try {
  await Deno.mkdir(out, { recursive: true });
  const built = await buildCollector();
  say(`collector ${show(built)} (version ${collectorVersion(built)})`);
  const collector = await collectorToShip(built);
  say(`permissions ${permissions.join(" ")}`);

  if (!opt["no-compile"]) await compileBinary(collector);

  const name = `epmt-${VERSION}-${platform}`;
  const folder = join(out, name);
  const info = await makeBundle({
    root: ROOT,
    deno,
    folder,
    version: VERSION,
    collector,
    permissions,
  });
  await smokeTest(join(folder, "epmt"), join(folder, "lib", "libepmt.so"));
  say(`bundle ${show(folder)}/ (deno ${Deno.version.deno}), checked`);
  say(
    `bundle runs where glibc >= ${info.glibc} (${info.glibcDetail}); ` +
      `build on the oldest system you target to reach older ones`,
  );

  if (!opt["no-tar"]) {
    const tarball = `${folder}.tar.gz`;
    await run("tar", [
      "-C",
      out,
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "-czf",
      tarball,
      name,
    ]);
    const mb = (await Deno.stat(tarball)).size / 2 ** 20;
    say(`archive ${show(tarball)} (${mb.toFixed(0)} MiB)`);
  }
} catch (e) {
  console.error(`build: FAILED: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
} finally {
  if (scratch) await Deno.remove(scratch, { recursive: true });
}

/** Builds native/ and returns the collector library; throws if absent. */
async function buildCollector(): Promise<string> {
  const native = join(ROOT, "native");
  try {
    await Deno.stat(join(native, "Makefile"));
    await run("make", ["-s", "-C", native]);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const lib = join(native, "libepmt.so");
  try {
    await Deno.stat(lib);
  } catch {
    throw new Error(`no collector library ${show(lib)} (make -C native)`);
  }
  return lib;
}

/**
 * The collector to ship: on x86_64 glibc systems, native/'s sources built
 * again with the symbols glibc 2.34 moved bound to their older versions;
 * else (or with --no-glibc-compat) the library as built.
 */
async function collectorToShip(built: string): Promise<string> {
  const needs = glibcNeeded(built);
  if (
    opt["no-glibc-compat"] || Deno.build.arch !== "x86_64" ||
    !needs || compareVersions(needs, "2.34") < 0
  ) {
    return built;
  }
  const moved = await movedImports(built);
  if (moved.length === 0) return built;
  scratch = await Deno.makeTempDir({ prefix: "epmt-build-" });
  const lib = await buildCompatCollector(dirname(built), scratch, moved);
  say(
    `collector for shipping rebuilt with ${
      moved.join(" ")
    } bound to pre-2.34 glibc: needs glibc ${
      glibcNeeded(lib)
    } (as built: ${needs})`,
  );
  return lib;
}

/**
 * dist/epmt and dist/lib/libepmt.so, or one line saying why not. Files
 * from an earlier build are removed first, so a failed compile never
 * leaves an old binary that looks new.
 */
async function compileBinary(collector: string): Promise<void> {
  const binary = join(out, "epmt");
  const lib = join(out, "lib", "libepmt.so");
  for (const old of [binary, lib]) {
    await Deno.remove(old).catch(() => {});
  }
  const result = await compile({
    deno,
    entry: join(ROOT, "main.ts"),
    config: join(ROOT, "deno.json"),
    out: binary,
    permissions,
  });
  if (!result.built) {
    say(
      `deno compile: ${result.reason}; no single binary built, ` +
        `going on with the portable bundle`,
    );
    return;
  }
  await Deno.mkdir(dirname(lib), { recursive: true });
  await Deno.copyFile(collector, lib);
  try {
    await smokeTest(binary, lib);
  } catch (e) {
    // DENORT_BIN pointing at a full deno "compiles" into a plain deno.
    await Deno.remove(binary);
    await Deno.remove(dirname(lib), { recursive: true });
    say(
      `deno compile: the result does not run epmt (${
        e instanceof Error ? e.message : e
      }); removed it, going on with the portable bundle`,
    );
    return;
  }
  say(`binary ${show(binary)} with ${show(lib)}, checked`);
}

/**
 * Runs `epmt --version` with an empty environment and checks that it is
 * epmt, that it found the collector beside it and read its version.
 */
async function smokeTest(program: string, lib: string): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "epmt-build-" });
  try {
    const r = await new Deno.Command(program, {
      args: ["--version"],
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin", HOME: home },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout);
    const lines = text.split("\n");
    const want = `epmt ${VERSION}`;
    if (!r.success || lines[0] !== want) {
      const err = new TextDecoder().decode(r.stderr).trim().split("\n")[0];
      throw new Error(
        `${show(program)} --version printed "${lines[0]}", not "${want}"` +
          ` (exit ${r.code}${err ? `: ${err}` : ""})`,
      );
    }
    const expected = `collector ${collectorVersion(lib)} ${lib}`;
    const real = await Deno.realPath(lib);
    if (
      lines[1] !== expected &&
      lines[1] !== `collector ${collectorVersion(lib)} ${real}`
    ) {
      throw new Error(
        `${show(program)} --version: expected "${expected}", got "${lines[1]}"`,
      );
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  const r = await new Deno.Command(cmd, { args }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.code})`);
  }
}
