/**
 * The few assertions the tests use, named as in Deno's std/assert (which is
 * on JSR, out of reach here), built on node:assert.
 */
import nodeAssert from "node:assert/strict";

export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  nodeAssert.match(actual, re, msg);
}

export function assertStringIncludes(
  actual: string,
  expected: string,
  msg?: string,
): void {
  if (!actual.includes(expected)) {
    nodeAssert.fail(
      msg ??
        `expected ${JSON.stringify(actual)} to include ${
          JSON.stringify(expected)
        }`,
    );
  }
}

export function assertThrows(
  fn: () => unknown,
  cls?: new (...a: never[]) => Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  nodeAssert.fail("expected a throw");
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  cls?: new (...a: never[]) => Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  nodeAssert.fail("expected a rejection");
}

/** What assertThrows and assertRejects check of what was thrown. */
function checkError(
  e: unknown,
  cls?: new (...a: never[]) => Error,
  includes?: string,
): Error {
  if (cls && !(e instanceof cls)) {
    nodeAssert.fail(`expected ${cls.name}, got ${e}`);
  }
  if (includes && !String((e as Error).message).includes(includes)) {
    nodeAssert.fail(
      `expected message to include ${JSON.stringify(includes)}, got ${
        (e as Error).message
      }`,
    );
  }
  return e as Error;
}
