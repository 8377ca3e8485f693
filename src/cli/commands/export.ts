import type { Context } from "../context.ts";
import { UserError } from "../../errors.ts";

export const usage = "epmt export";

export function run(_ctx: Context, _args: string[]): Promise<number> {
  return Promise.reject(new UserError("export is not implemented yet"));
}
