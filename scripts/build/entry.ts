/**
 * Entry point of the bundled program (epmt.cjs in the portable bundle):
 * main.ts without its top-level await, which the CommonJS bundle format
 * cannot hold. CommonJS is used because it keeps every module, node:
 * built-ins included, unevaluated until a command needs it.
 */
import { main } from "../../src/cli/mod.ts";

main(Deno.args, Deno.env.toObject()).then((code) => Deno.exit(code));
