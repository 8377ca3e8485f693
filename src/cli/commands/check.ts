import type { Context } from "../context.ts";
import { UserError } from "../../errors.ts";

export const usage = "epmt check";

export function run(_ctx: Context, _args: string[]): Promise<number> {
  return Promise.reject(new UserError("check is not implemented yet"));
}
