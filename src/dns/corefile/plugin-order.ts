/**
 * CoreDNS's plugin.cfg: every plugin a stock CoreDNS knows, in chain order (dns.md §3.3).
 */

/**
 * The plugins of a stock CoreDNS build (v1.14 line), in plugin.cfg order. This list is both what
 * the parser accepts as directive names (anything else is CoreDNS's "Unknown directive") and the
 * order a server block's plugins run in: "The ordering of the Plugins in the Corefile does not
 * determine the order of the plugin chain" (dns.md §3.3). Two external plugins are compiled in as
 * well: multicluster, right after kubernetes, where its README's plugin.cfg line puts it
 * (`multicluster:github.com/coredns/multicluster`, mcs.md §4.1); and lighthouse after it, where
 * Lighthouse's own CoreDNS build puts it (after k8s_external, before file: its `main.go`
 * directive list, mcs.md §5.3).
 */
export const PLUGIN_ORDER: readonly string[] = Object.freeze([
  "root",
  "metadata",
  "geoip",
  "cancel",
  "proxyproto",
  "quic",
  "grpc_server",
  "https",
  "https3",
  "timeouts",
  "multisocket",
  "reload",
  "nsid",
  "bufsize",
  "bind",
  "debug",
  "trace",
  "ready",
  "health",
  "pprof",
  "shed",
  "prometheus",
  "errors",
  "log",
  "dnstap",
  "local",
  "dns64",
  "any",
  "chaos",
  "loadbalance",
  "tsig",
  "rewrite",
  "autopath",
  "acl",
  "cache",
  "header",
  "dnssec",
  "tls",
  "minimal",
  "template",
  "transfer",
  "hosts",
  "route53",
  "azure",
  "clouddns",
  "k8s_external",
  "kubernetes",
  "multicluster",
  "lighthouse",
  "file",
  "auto",
  "secondary",
  "etcd",
  "loop",
  "forward",
  "grpc",
  "erratic",
  "whoami",
  "on",
  "sign",
  "view",
  "nomad",
]);

/** Each plugin's place in {@link PLUGIN_ORDER}. */
export const PLUGIN_RANK: ReadonlyMap<string, number> = new Map(PLUGIN_ORDER.map((name, i) => [name, i]));
