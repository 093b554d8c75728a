/**
 * The Corefile: CoreDNS's configuration, read as CoreDNS reads it (dns.md §3). The parser lives in
 * `corefile/`; this module is its public face.
 *
 * Where mcsim is stricter than CoreDNS, it is because CoreDNS would quietly do something the
 * writer did not mean: an undefined `{$VAR}` (CoreDNS: empty), an unterminated quote (CoreDNS:
 * ends at the end of the file), a `}` after other text on its line (CoreDNS: an argument), a CIDR
 * with host bits (CoreDNS: masked), a zone key with a stray `(`, `{` or a bad port (CoreDNS: part of
 * the zone name). Each is an error that says what to write instead.
 */

import { parse } from "./corefile/parser.js";
import { PLUGIN_RANK } from "./corefile/plugin-order.js";
import type { Corefile, CorefileOptions, Directive } from "./corefile/types.js";

export { CorefileError } from "./corefile/error.js";
export { PLUGIN_ORDER } from "./corefile/plugin-order.js";
export { MAX_IMPORTS, MAX_BLOCK_DEPTH } from "./corefile/parser.js";
export { DEFAULT_PORTS, ZoneError, parseServerKey, reverseZones, type Scheme, type ServerKey } from "./corefile/zone.js";
export type { Corefile, CorefileOptions, Directive, ServerBlock } from "./corefile/types.js";

/**
 * Reads a Corefile.
 *
 * - Server blocks `[SCHEME://]ZONE [[SCHEME://]ZONE]...[:PORT] { … }` (dns.md §3.1): zones are
 *   lower-cased and fully qualified, CIDRs become their reverse zones, the port defaults by scheme
 *   (53 for dns://), and one zone may not be served twice on the same transport, address and port.
 * - Directives one per line, with optional `{ … }` blocks nested to any depth; each server block
 *   directive must be a CoreDNS plugin (else "unknown directive") that mcsim implements.
 * - `{$NAME}` and `{%NAME%}` from `options.variables`; snippets `(name) { … }` and `import`
 *   of snippets, files and globs from `options.files`, anywhere a line may start.
 *
 * @param text the Corefile's text.
 * @param file its path: where errors point, and what relative imports are relative to.
 * @throws CorefileError at the first problem, with file, line and column.
 * @throws RangeError when `options` names a plugin that is not in {@link PLUGIN_ORDER}, or one
 *   file twice under two spellings: a bug of the caller, not of the Corefile.
 */
export function parseCorefile(text: string, file: string, options: CorefileOptions): Corefile {
  return parse(text, file, options);
}

/**
 * A server block's plugins in the order CoreDNS chains them: plugin.cfg order, not Corefile order
 * (dns.md §3.3). The sort is stable, so a plugin written twice (two `forward`s) keeps file order.
 *
 * @throws RangeError for a directive that is not a CoreDNS plugin (the parser never makes one).
 */
export function orderDirectives(directives: readonly Directive[]): Directive[] {
  const rank = (d: Directive): number => {
    const r = PLUGIN_RANK.get(d.name);
    if (r === undefined) throw new RangeError(`'${d.name}' is not a CoreDNS plugin, so it has no place in the chain`);
    return r;
  };
  return directives
    .map((directive, index) => ({ directive, index, rank: rank(directive) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((e) => e.directive);
}

/**
 * The Corefile kubeadm (1.32 and later) puts in the `coredns` ConfigMap, verbatim
 * (cmd/kubeadm/app/phases/addons/dns/manifests.go; dns.md §3.4).
 */
export const DEFAULT_KUBEADM_COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`;

/** kubeadm's Corefile for a cluster domain: kubeadm writes its `DNSDomain` wherever the default has `cluster.local`. */
export function kubeadmCorefile(domain: string): string {
  return DEFAULT_KUBEADM_COREFILE.replaceAll("cluster.local", domain);
}
