/** Member names: how they are checked before anything is written. */

/**
 * The relative path a member may be written to ("./a/b" -> "a/b"; "" for
 * the archive's root entry "./"), or the reason it is refused: an absolute
 * path, a ".." component or a NUL byte would let it escape the destination.
 */
export function safeMemberPath(
  name: string,
): { path: string } | { refused: string } {
  if (name.startsWith("/")) return { refused: "absolute path" };
  if (name.includes("\0")) return { refused: "NUL byte in name" };
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return { refused: "path contains .." };
  return { path: parts.join("/") };
}
