import type { Context } from "../context.ts";
import { UserError } from "../../errors.ts";

export const usage = "epmt delete";

export function run(_ctx: Context, _args: string[]): Promise<number> {
  return Promise.reject(new UserError("delete is not implemented yet"));
}
