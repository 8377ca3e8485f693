/**
 * The folders under src/ show a public face: each has a mod.ts, and code in
 * one folder imports another folder only through that mod.ts, so a folder's
 * other files can change without breaking the rest.
 *
 * The rule, checked on every relative import (static, dynamic, `import
 * type`, `export ... from`) of every .ts file under src/ and of main.ts:
 * - inside a folder (src/db/ with src/db/migrations/ too), anything goes;
 * - another folder: only its mod.ts (src/db/mod.ts, not src/db/store.ts);
 * - the files directly in src/ (errors.ts, io.ts, log.ts, ...) are shared
 *   leaves anyone may import; they import only each other, never a folder,
 *   so they stay leaves.
 */
import { assert, assertEquals } from "./assert.ts";
import { dirname, join, relative, resolve } from "node:path";
import { ROOT } from "./helpers.ts";

const SRC = join(ROOT, "src");

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...tsFiles(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** The relative specifiers a file imports or re-exports. */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
    /^\s*import\s+["'](\.{1,2}\/[^"']+)["']/gm,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) specs.push(m[1]);
  }
  return specs;
}

/** The top folder under src/ of `path`, or "" for a file directly in src/. */
function folderOf(path: string): string {
  const rel = relative(SRC, path).split("/");
  return rel.length > 1 ? rel[0] : "";
}

/** Every import that breaks the rule, as "file: import". */
function violations(): string[] {
  const bad: string[] = [];
  const files = [join(ROOT, "main.ts"), ...tsFiles(SRC)];
  for (const file of files) {
    const from = file.startsWith(SRC + "/") ? folderOf(file) : "main";
    for (const spec of importsOf(Deno.readTextFileSync(file))) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + "/")) continue;
      const to = folderOf(target);
      const where = `${relative(ROOT, file)}: ${spec}`;
      if (to === from) continue;
      if (to === "") {
        continue; // a shared leaf
      }
      if (from === "") {
        bad.push(`${where} (a file directly in src/ imports no folder)`);
      } else if (target !== join(SRC, to, "mod.ts")) {
        bad.push(`${where} (import src/${to}/mod.ts instead)`);
      }
    }
  }
  return bad;
}

Deno.test("every folder under src/ has a mod.ts", () => {
  for (const e of Deno.readDirSync(SRC)) {
    if (!e.isDirectory) continue;
    assert(
      Deno.statSync(join(SRC, e.name, "mod.ts")).isFile,
      `src/${e.name}/mod.ts`,
    );
  }
});

Deno.test("folders import each other only through mod.ts", () => {
  assertEquals(violations(), []);
});

Deno.test("the import scan sees imports of every form", () => {
  const text = `import { a } from "../db/store.ts";
import type { B } from "../db/mod.ts";
export { c } from "./x.ts";
const d = await import("../../query/list.ts");
import "../side.ts";`;
  assertEquals(importsOf(text).sort(), [
    "../../query/list.ts",
    "../db/mod.ts",
    "../db/store.ts",
    "../side.ts",
    "./x.ts",
  ]);
});
