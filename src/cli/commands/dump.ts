import type { Context } from "../context.ts";
import { UserError } from "../../errors.ts";

export const usage = "epmt dump";

export function run(_ctx: Context, _args: string[]): Promise<number> {
  return Promise.reject(new UserError("dump is not implemented yet"));
}
