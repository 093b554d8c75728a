/**
 * CoreDNS's check that no two server blocks listen for the same zone (core/dnsserver
 * register.go, validateZonesAndListeningAddresses and zoneOverlap): dns.md §3.1, "same zone + same
 * port twice → startup error, unless separated by bind to different addresses".
 */

import { at, type Position } from "./error.js";
import type { ServerBlock } from "./types.js";
import type { ServerKey } from "./zone.js";

/** A server block with where each of its keys is written. */
export interface PlacedServer<Where> {
  readonly block: ServerBlock;
  readonly keys: readonly { readonly key: ServerKey; readonly where: Where }[];
}

/**
 * The first key that another block already serves, in file order, or null. The same transport,
 * zone and port may be served twice only on different `bind` addresses; a block without `bind`
 * listens on every address, so it overlaps any block that binds the same zone and port. A block
 * with a `view` must not overlap the others but does not reserve its zone (views share zones).
 * Bind arguments are compared as written: CoreDNS first resolves interface names to addresses.
 */
export function findListenerConflict<Where>(
  servers: readonly PlacedServer<Where>[],
  locate: (where: Where) => Position,
): { where: Where; detail: string } | null {
  const registered = new Map<string, Position>(); // "dns://zone.:53", or with NUL and the bind address
  const anyAddress = new Map<string, { label: string; at: Position }>(); // by "dns://zone.:53", the last registered
  for (const { block, keys } of servers) {
    const binds = block.directives.filter((d) => d.name === "bind").flatMap((d) => d.args);
    const hosts: (string | null)[] = binds.length > 0 ? binds : [null]; // null: every address
    const filtered = block.directives.some((d) => d.name === "view");
    for (const { key, where } of keys) {
      for (const host of hosts) {
        const base = `${key.scheme}://${key.zone}:${key.port}`;
        const label = host === null ? base : `${base} on ${host === "" ? "''" : host}`;
        // Keyed by the address as written, not by its label, which shows the empty one as ''.
        const id = host === null ? base : `${base}\u0000${host}`;
        const exact = registered.get(id);
        if (exact) {
          return {
            where,
            detail: `cannot serve ${label} - it is already defined at ${at(exact)}; serve it on another port, or bind the two blocks to different addresses`,
          };
        }
        const other = anyAddress.get(base);
        if (other && host === null) {
          return {
            where,
            detail: `cannot serve ${label} - it overlaps ${other.label} at ${at(other.at)}: a block without 'bind' listens on every address, so no other block can serve its zone and port`,
          };
        }
        const wide = registered.get(base);
        if (other && wide) {
          return { where, detail: `cannot serve ${label} - it overlaps ${base} at ${at(wide)}, which has no 'bind' and so listens on every address` };
        }
        if (!filtered) {
          registered.set(id, locate(where));
          anyAddress.set(base, { label, at: locate(where) });
        }
      }
    }
  }
  return null;
}
