/**
 * The short lists a lookup keeps (its transmissions, timers, answers, addresses), sized for what
 * they hold. V8 gives an empty array room for 17 elements on its first push, while most of these
 * lists never hold more than one or two, and a benchmark makes millions of them: so the first
 * element makes an array of exactly one, and only a list that grows past it grows as usual.
 */

/** The list to start from: never written to, as {@link append} and {@link setAt} replace it. */
export const EMPTY: never[] = Object.freeze([]) as never[];

/** `list` with `item` at its end: a new array of one when `list` is empty, else `list`, pushed onto. */
export function append<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

/** `list` with `item` at `index`: as {@link append} when `index` is its length, else set in place (a gap stays a hole). */
export function setAt<T>(list: (T | undefined)[], index: number, item: T): (T | undefined)[] {
  if (index === list.length) return append(list, item);
  const out = list.length === 0 ? new Array<T | undefined>(index + 1) : list;
  out[index] = item;
  return out;
}
