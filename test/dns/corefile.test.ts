import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CorefileError,
  DEFAULT_KUBEADM_COREFILE,
  MAX_BLOCK_DEPTH,
  MAX_IMPORTS,
  PLUGIN_ORDER,
  orderDirectives,
  parseCorefile,
  type Corefile,
  type CorefileOptions,
  type Directive,
} from "../../src/dns/corefile.js";

const ALL = new Set(PLUGIN_ORDER);
/** The plugins of the kubeadm Corefile: a realistic "what mcsim implements" set. */
const KUBEADM_PLUGINS = new Set(["errors", "health", "ready", "kubernetes", "prometheus", "forward", "cache", "loop", "reload", "loadbalance"]);

type Opts = Partial<CorefileOptions> & { file?: string };

function parse(text: string, opts: Opts = {}): Corefile {
  const { file = "Corefile", ...rest } = opts;
  return parseCorefile(text, file, { plugins: ALL, ...rest });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

function parseError(text: string, opts: Opts = {}): CorefileError {
  const e = thrown(() => parse(text, opts));
  expect(e).toBeInstanceOf(CorefileError);
  return e as CorefileError;
}

/** A directive without its position, for comparing shapes. */
interface Shape {
  name: string;
  args: string[];
  block: Shape[] | null;
}

function shape(d: Directive): Shape {
  return { name: d.name, args: d.args, block: d.block ? d.block.map(shape) : null };
}

function shapes(c: Corefile): { keys: string[]; directives: Shape[] }[] {
  return c.servers.map((s) => ({ keys: s.keys.map((k) => `${k.scheme}://${k.zone}:${k.port}`), directives: s.directives.map(shape) }));
}

const d = (name: string, args: string[] = [], block: Shape[] | null = null): Shape => ({ name, args, block });

describe("DEFAULT_KUBEADM_COREFILE (dns.md §3.4)", () => {
  it("is kubeadm's Corefile, verbatim", () => {
    expect(DEFAULT_KUBEADM_COREFILE.split("\n").slice(0, 5)).toEqual([".:53 {", "    errors", "    health {", "       lameduck 5s", "    }"]);
    expect(DEFAULT_KUBEADM_COREFILE.endsWith("    loadbalance\n}\n")).toBe(true);
    expect(DEFAULT_KUBEADM_COREFILE.split("\n")).toHaveLength(24);
  });

  it("parses to one server block for . on port 53 with its eleven plugins", () => {
    const c = parse(DEFAULT_KUBEADM_COREFILE, { plugins: KUBEADM_PLUGINS });
    expect(shapes(c)).toEqual([
      {
        keys: ["dns://.:53"],
        directives: [
          d("errors"),
          d("health", [], [d("lameduck", ["5s"])]),
          d("ready"),
          d("kubernetes", ["cluster.local", "in-addr.arpa", "ip6.arpa"], [
            d("pods", ["insecure"]),
            d("fallthrough", ["in-addr.arpa", "ip6.arpa"]),
            d("ttl", ["30"]),
          ]),
          d("prometheus", [":9153"]),
          d("forward", [".", "/etc/resolv.conf"], [d("max_concurrent", ["1000"])]),
          d("cache", ["30"], [d("disable", ["success", "cluster.local"]), d("disable", ["denial", "cluster.local"])]),
          d("loop"),
          d("reload"),
          d("loadbalance"),
        ],
      },
    ]);
    const s = c.servers[0]!;
    expect([s.file, s.line, s.column]).toEqual(["Corefile", 1, 1]);
    const k8s = s.directives[3]!;
    expect([k8s.line, k8s.column]).toEqual([7, 5]);
    expect([k8s.block![2]!.line, k8s.block![2]!.column]).toEqual([10, 8]);
  });

  it("runs in plugin.cfg order: prometheus → errors → loadbalance → cache → kubernetes → loop → forward (§3.3)", () => {
    const c = parse(DEFAULT_KUBEADM_COREFILE, { plugins: KUBEADM_PLUGINS });
    expect(orderDirectives(c.servers[0]!.directives).map((x) => x.name)).toEqual([
      "reload", "ready", "health", "prometheus", "errors", "loadbalance", "cache", "kubernetes", "loop", "forward",
    ]);
  });
});

describe("PLUGIN_ORDER and orderDirectives (dns.md §3.3)", () => {
  it("holds plugin.cfg's 60 plugins in order, multicluster after kubernetes (mcs.md §4.1) and lighthouse after it (mcs.md §5.3)", () => {
    expect(PLUGIN_ORDER.join(" ")).toBe(
      "root metadata geoip cancel proxyproto quic grpc_server https https3 timeouts multisocket reload nsid bufsize " +
        "bind debug trace ready health pprof shed prometheus errors log dnstap local dns64 any chaos loadbalance tsig " +
        "rewrite autopath acl cache header dnssec tls minimal template transfer hosts route53 azure clouddns " +
        "k8s_external kubernetes multicluster lighthouse file auto secondary etcd loop forward grpc erratic whoami on sign view nomad",
    );
    expect(Object.isFrozen(PLUGIN_ORDER)).toBe(true);
  });

  it("puts a forward written before kubernetes after it, and keeps two forwards in file order", () => {
    const c = parse(". {\n  forward example.org 10.0.0.1\n  forward . 8.8.8.8\n  kubernetes cluster.local\n  rewrite name a b\n  cache\n}\n");
    const ordered = orderDirectives(c.servers[0]!.directives);
    expect(ordered.map((x) => `${x.name} ${x.args.join(" ")}`)).toEqual([
      "rewrite name a b", "cache ", "kubernetes cluster.local", "forward example.org 10.0.0.1", "forward . 8.8.8.8",
    ]);
    // The Corefile order is untouched.
    expect(c.servers[0]!.directives[0]!.name).toBe("forward");
  });

  it("refuses a directive that is not a CoreDNS plugin", () => {
    const e = thrown(() => orderDirectives([{ name: "bogus", args: [], block: null, line: 1, column: 1, file: "x" }]));
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toContain("'bogus'");
  });
});

describe("lexing (dns.md §3.1, CoreDNS's Caddyfile lexer)", () => {
  const args = (text: string): string[] => parse(text).servers[0]!.directives[0]!.args;

  it("reads quoted arguments with spaces, # and braces, and unescapes only \\\"", () => {
    expect(args('. {\n  log "a b" "#x" "{ }" "say \\"hi\\"" "c:\\d\\\\e"\n}')).toEqual(["a b", "#x", "{ }", 'say "hi"', "c:\\d\\\\e"]);
  });

  it("lets a quoted argument span lines without ending its directive's line", () => {
    const c = parse('. {\n  template "a\nb" c\n  log\n}');
    expect(c.servers[0]!.directives.map(shape)).toEqual([d("template", ["a\nb", "c"]), d("log")]);
    expect(c.servers[0]!.directives[1]!.line).toBe(4);
  });

  it("keeps a quote inside a word, and ends a quoted token at its closing quote", () => {
    expect(args('. {\n  log a"b" "c"d\n}')).toEqual(['a"b"', "c", "d"]);
  });

  it("reads an empty quoted argument", () => {
    expect(args('. {\n  log ""\n}')).toEqual([""]);
  });

  it("starts a comment at an unquoted # anywhere, even inside a word", () => {
    expect(args(". { # the root\n  forward . 1.1.1.1#dns.google 8.8.8.8\n} # end\n")).toEqual([".", "1.1.1.1"]);
  });

  it("reads CRLF files, a leading byte-order mark, and counts columns in characters", () => {
    const c = parse("\ufeff. {\r\n  log\r\n}\r\n");
    expect([c.servers[0]!.column, c.servers[0]!.directives[0]!.line, c.servers[0]!.directives[0]!.column]).toEqual([1, 2, 3]);
    const e = parseError('. {\n  log "😀" }\n}');
    expect([e.line, e.column]).toEqual([2, 11]);
  });

  it("separates tokens at Go's unicode spaces, where only \\n ends a line", () => {
    expect(args(". {\n  forward\u00a0.\u20031.1.1.1\u0085x\n}")).toEqual([".", "1.1.1.1", "x"]);
    // U+2028 is white space but not a line break: "errors" is an argument of log.
    expect(args(". {\n  log\u2028errors\n}")).toEqual(["errors"]);
  });

  it("treats braces glued to words as part of the word", () => {
    expect(args(". {\n  log a{ }b\n}")).toEqual(["a{", "}b"]);
  });
});

describe("server blocks (dns.md §3.1)", () => {
  const keys = (text: string): string[] => shapes(parse(text)).flatMap((s) => s.keys);

  it("reads schemes, their default ports, explicit ports, and normalizes zones", () => {
    expect(keys("tls://example.org grpc://example.net https://A.b quic://c.d https3://e.f dns://g.h:1053 Example.ORG.:5353 {\n}")).toEqual([
      "tls://example.org.:853",
      "grpc://example.net.:443",
      "https://a.b.:443",
      "quic://c.d.:853",
      "https3://e.f.:443",
      "dns://g.h.:1053",
      "dns://example.org.:5353",
    ]);
    expect(keys(". {\n}\n.:1053 {\n}\n")).toEqual(["dns://.:53", "dns://.:1053"]);
  });

  it("gives `example.org org { … }` one block with two keys", () => {
    const c = parse("example.org org {\n  whoami\n}");
    expect(shapes(c)).toEqual([{ keys: ["dns://example.org.:53", "dns://org.:53"], directives: [d("whoami")] }]);
  });

  it("accepts keys separated by commas, continued on the next line after a trailing comma (Caddy)", () => {
    expect(keys("a.org, b.org,\n   c.org {\n}")).toEqual(["dns://a.org.:53", "dns://b.org.:53", "dns://c.org.:53"]);
  });

  it("expands an import on the line after a trailing comma into more zones, as Caddy does", () => {
    expect(keys("(more) {\n  b.org c.org\n}\na.org,\nimport more\n{\n}")).toEqual(["dns://a.org.:53", "dns://b.org.:53", "dns://c.org.:53"]);
  });

  it("accepts the '{' at the start of the line after the zones, as Caddy does", () => {
    expect(shapes(parse(".\n{\n  whoami\n}"))).toEqual([{ keys: ["dns://.:53"], directives: [d("whoami")] }]);
  });

  it("accepts an empty block on one line, and another block after a '}' on the same line", () => {
    expect(shapes(parse(". { }\nexample.org {\n  log\n} example.net {\n}"))).toEqual([
      { keys: ["dns://.:53"], directives: [] },
      { keys: ["dns://example.org.:53"], directives: [d("log")] },
      { keys: ["dns://example.net.:53"], directives: [] },
    ]);
  });

  it("reads a server block without braces to the end of the file, as Caddy does", () => {
    expect(shapes(parse(".:1053\nwhoami\nlog\n"))).toEqual([{ keys: ["dns://.:1053"], directives: [d("whoami"), d("log")] }]);
    expect(shapes(parse("example.org\n"))).toEqual([{ keys: ["dns://example.org.:53"], directives: [] }]);
  });

  it("reads an empty Corefile, or one of comments and snippets, as no servers", () => {
    expect(parse("").servers).toEqual([]);
    expect(parse("# nothing\n\n(s) {\n  log\n}\n").servers).toEqual([]);
  });

  it("expands CIDRs on octet boundaries to one in-addr.arpa zone", () => {
    expect(keys("10.0.0.0/24 10.96.0.0/16:1053 10.0.0.0/8 0.0.0.0/0 192.168.1.7/32 {\n}")).toEqual([
      "dns://0.0.10.in-addr.arpa.:53",
      "dns://96.10.in-addr.arpa.:1053",
      "dns://10.in-addr.arpa.:53",
      "dns://in-addr.arpa.:53",
      "dns://7.1.168.192.in-addr.arpa.:53",
    ]);
  });

  it("splits a CIDR off an octet boundary into each covered octet-boundary zone (cidr.Split, CoreDNS ≥ 1.8.4)", () => {
    expect(keys("10.0.0.0/15 {\n}")).toEqual(["dns://0.10.in-addr.arpa.:53", "dns://1.10.in-addr.arpa.:53"]);
    expect(keys("172.16.0.0/12 {\n}")).toHaveLength(16);
    const k27 = keys("10.0.0.32/27 {\n}");
    expect(k27).toHaveLength(32);
    expect(k27[0]).toBe("dns://32.0.0.10.in-addr.arpa.:53");
    expect(k27[31]).toBe("dns://63.0.0.10.in-addr.arpa.:53");
  });

  it("expands IPv6 CIDRs to ip6.arpa zones on nibble boundaries", () => {
    expect(keys("fd00::/64:1053 {\n}")).toEqual(["dns://0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.:1053"]);
    expect(keys("2001:db8::/30 {\n}")).toEqual(["8", "9", "a", "b"].map((n) => `dns://${n}.b.d.0.1.0.0.2.ip6.arpa.:53`));
    expect(keys("2001:db8::10.0.0.0/120 {\n}")).toEqual(keys("2001:DB8:0:0:0:0:a00:0/120 {\n}"));
  });

  it("records where each block starts", () => {
    const c = parse("\n  # c\n  example.org {\n  }\n");
    expect([c.servers[0]!.file, c.servers[0]!.line, c.servers[0]!.column]).toEqual(["Corefile", 3, 3]);
  });
});

describe("directives and plugin blocks (dns.md §3.1)", () => {
  it("nests blocks, and reads tokens after a '{' on its line as the block's first line (Caddy's dispenser)", () => {
    const c = parse(". {\n  forward . 1.1.1.1 { max_concurrent 10\n    policy sequential\n  }\n  template IN A {\n    match x {\n      deep 1\n    }\n  }\n  health { }\n}");
    expect(c.servers[0]!.directives.map(shape)).toEqual([
      d("forward", [".", "1.1.1.1"], [d("max_concurrent", ["10"]), d("policy", ["sequential"])]),
      d("template", ["IN", "A"], [d("match", ["x"], [d("deep", ["1"])])]),
      d("health", [], []),
    ]);
  });

  it("treats import in the middle of a line as an ordinary argument", () => {
    expect(parse(". {\n  log import x\n}").servers[0]!.directives.map(shape)).toEqual([d("log", ["import", "x"])]);
  });

  it("gives a quoted brace a brace's meaning, as CoreDNS's lexer does not remember quoting", () => {
    expect(parse('. {\n  log "{"\n  }\n}').servers[0]!.directives.map(shape)).toEqual([d("log", [], [])]);
  });

  it("does not check the names inside a plugin's block (the plugin does)", () => {
    expect(parse(". {\n  kubernetes {\n    frobnicate 1\n  }\n}").servers[0]!.directives[0]!.block).toHaveLength(1);
  });
});

describe("variables (dns.md §3.1): {$VAR} and {%VAR%}, from the caller, never the environment", () => {
  it("substitutes in zones, plugin names, arguments, quoted strings and block lines", () => {
    const variables = { ZONE: "cluster.local", PORT: "1053", P: "log", UP: "10.0.0.1", W: "a b" };
    const c = parse('{$ZONE}:{%PORT%} {\n  {$P} "x {$W} y"\n  forward . {$UP}:53 {\n    {%P%} {$P}\n  }\n}', { variables });
    expect(shapes(c)).toEqual([
      { keys: ["dns://cluster.local.:1053"], directives: [d("log", ["x a b y"]), d("forward", [".", "10.0.0.1:53"], [d("log", ["log"])])] },
    ]);
  });

  it("does not rescan substituted values, and leaves other braces alone", () => {
    const c = parse('. {\n  template "{{ .Name }} {$A}" {x} {\n  }\n}', { variables: { A: "{$A}" } });
    expect(c.servers[0]!.directives[0]!.args).toEqual(["{{ .Name }} {$A}", "{x}"]);
  });

  it("does not read process.env", () => {
    process.env.MCSIM_COREFILE_TEST = "x";
    try {
      expect(parseError(". {\n  log {$MCSIM_COREFILE_TEST}\n}").detail).toContain("undefined variable 'MCSIM_COREFILE_TEST'");
    } finally {
      delete process.env.MCSIM_COREFILE_TEST;
    }
  });

  it("does not find Object's properties as variables", () => {
    expect(parseError(". {\n  log {$constructor}\n}").detail).toContain("undefined variable 'constructor'");
  });
});

describe("snippets and import (dns.md §3.1, plugin/import)", () => {
  it("imports a snippet into a server block, keeping the snippet's positions", () => {
    const c = parse("(common) {\n  errors\n  cache 30\n}\n. {\n  import common\n  whoami\n}\nexample.org {\n  import common\n}");
    expect(shapes(c)).toEqual([
      { keys: ["dns://.:53"], directives: [d("errors"), d("cache", ["30"]), d("whoami")] },
      { keys: ["dns://example.org.:53"], directives: [d("errors"), d("cache", ["30"])] },
    ]);
    expect([c.servers[0]!.directives[1]!.line, c.servers[0]!.directives[1]!.column]).toEqual([3, 3]);
  });

  it("imports a snippet on the same line as the server block's '{'", () => {
    expect(shapes(parse("(s) {\n  log\n}\n. { import s\n}"))[0]!.directives).toEqual([d("log")]);
  });

  it("imports snippets and files inside a plugin's block", () => {
    const c = parse("(opts) {\n  pods insecure\n}\n. {\n  kubernetes cluster.local {\n    import opts\n    import k8s.conf\n  }\n}", {
      files: { "k8s.conf": "ttl 30" },
    });
    expect(c.servers[0]!.directives[0]!.block!.map(shape)).toEqual([d("pods", ["insecure"]), d("ttl", ["30"])]);
  });

  it("imports whole server blocks at the top level, from a snippet or a file", () => {
    const c = parse("(zone) {\n  example.org {\n    whoami\n  }\n}\nimport zone\nimport extra.conf\n", {
      files: { "extra.conf": "example.net {\n  log\n}\n" },
    });
    expect(shapes(c)).toEqual([
      { keys: ["dns://example.org.:53"], directives: [d("whoami")] },
      { keys: ["dns://example.net.:53"], directives: [d("log")] },
    ]);
    expect([c.servers[1]!.file, c.servers[1]!.directives[0]!.file, c.servers[1]!.directives[0]!.line]).toEqual(["extra.conf", "extra.conf", 2]);
  });

  it("lets an imported file use a snippet defined before the import", () => {
    const c = parse("(common) {\n  log\n}\nimport site.conf\n", { files: { "site.conf": "example.org {\n  import common\n}" } });
    expect(shapes(c)[0]!.directives).toEqual([d("log")]);
  });

  it("resolves relative imports against the directory of the importing file", () => {
    const files = {
      "conf.d/a.conf": "import ../common/b.conf",
      "/etc/coredns/common/b.conf": "example.org {\n  log\n}",
    };
    const c = parse("import conf.d/a.conf\n", { file: "/etc/coredns/Corefile", files });
    expect(shapes(c)).toEqual([{ keys: ["dns://example.org.:53"], directives: [d("log")] }]);
    expect(c.servers[0]!.file).toBe("/etc/coredns/common/b.conf");
    // An absolute import is taken as written.
    expect(shapes(parse("import /etc/coredns/common/b.conf", { file: "/etc/coredns/Corefile", files }))).toHaveLength(1);
  });

  it("imports the files a glob matches, in name order, and nothing for an empty glob", () => {
    const files = {
      "zones/b.conf": "b.org {\n}",
      "zones/a.conf": "a.org {\n}",
      "zones/a.txt": "txt.org {\n}",
      "zones/sub/c.conf": "c.org {\n}",
      "zones/ab.conf": "ab.org {\n}",
    };
    expect(shapes(parse("import zones/*.conf", { files })).map((s) => s.keys[0])).toEqual(["dns://a.org.:53", "dns://ab.org.:53", "dns://b.org.:53"]);
    expect(shapes(parse("import zones/?.conf", { files })).map((s) => s.keys[0])).toEqual(["dns://a.org.:53", "dns://b.org.:53"]);
    expect(parse("import nothing/*.conf\n. {\n}", { files }).servers).toHaveLength(1);
  });

  it("reads an imported snippet's first token as the start of a line, wherever its body begins", () => {
    // The body of (s) starts on the line of its '{'; imported at the top level it is still an import.
    const c = parse("(t) {\n  example.org {\n  }\n}\n(s) { import t\n}\nimport s\n");
    expect(shapes(c)).toEqual([{ keys: ["dns://example.org.:53"], directives: [] }]);
  });

  it("imports one snippet many times without calling it a cycle", () => {
    const c = parse("(a) {\n  log\n}\n(b) {\n  import a\n  import a\n}\n. {\n  import b\n  import b\n}");
    expect(c.servers[0]!.directives).toHaveLength(4);
  });
});

describe("plugin names (dns.md §3.3)", () => {
  it("names what mcsim implements when a CoreDNS plugin is not implemented", () => {
    const e = parseError(". {\n  dnstap /tmp/dnstap.sock\n}", { plugins: KUBEADM_PLUGINS });
    expect([e.file, e.line, e.column]).toEqual(["Corefile", 2, 3]);
    expect(e.message).toBe(
      "Corefile:2:3: plugin 'dnstap' is a CoreDNS plugin that mcsim does not implement; mcsim implements: " +
        "reload, ready, health, prometheus, errors, loadbalance, cache, kubernetes, loop, forward",
    );
  });

  it("says 'none' when no plugin is implemented", () => {
    expect(parseError(". {\n  log\n}", { plugins: new Set() }).detail).toContain("mcsim implements: none");
  });

  it("refuses a plugins option that names something outside plugin.cfg", () => {
    const e = thrown(() => parseCorefile(". {\n}", "Corefile", { plugins: new Set(["bogus"]) }));
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toContain("'bogus'");
  });

  it("refuses a files option that names one file twice", () => {
    const e = thrown(() => parse(". {\n}", { files: { "a.conf": "", "./a.conf": "" } }));
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toContain("'a.conf'");
  });
});

describe("listeners: a zone once per transport, address and port (dns.md §3.1)", () => {
  it("accepts the same zone on different ports, or bound to different addresses, or in views", () => {
    expect(parse(". {\n}\n.:1053 {\n}\ntls://. {\n}").servers).toHaveLength(3);
    expect(parse(". {\n  bind 127.0.0.1\n}\n. {\n  bind 10.0.0.1 10.0.0.2\n}").servers).toHaveLength(2);
    expect(parse(". {\n  view a\n}\n. {\n  view b\n}\n. {\n}").servers).toHaveLength(3);
    // An empty bind argument is an address like any other, not "every address" (found by the property below).
    expect(parse('example.org {\n}\norg. {\n  bind "" 0\n}').servers).toHaveLength(2);
    // The empty address and the address '' are two addresses, though a message shows the first as '' (found by the property below).
    expect(parse('in-addr.arpa {\n  bind "" "\'\'"\n}').servers).toHaveLength(1);
  });
});

interface ErrorCase {
  readonly name: string;
  readonly text: string;
  readonly opts?: Opts;
  readonly at: [file: string, line: number, column: number];
  readonly says: string;
}

const snippetFlood =
  "(a) {\n}\n(b) {\n" + "import a\n".repeat(100) + "}\n(c) {\n" + "import b\n".repeat(100) + "}\n. {\n  import c\n}\n";

const tooDeep = ". {\n  forward . x {\n" + "a {\n".repeat(MAX_BLOCK_DEPTH) + "}\n".repeat(MAX_BLOCK_DEPTH + 2);

const ERRORS: readonly ErrorCase[] = [
  // lexer
  { name: "unterminated quote", text: '. {\n  forward . "8.8.8.8\n}\n', at: ["Corefile", 2, 13], says: "unterminated quoted string" },
  // variables
  { name: "unterminated {$ reference", text: ". {\n  log {$FOO\n}", at: ["Corefile", 2, 7], says: "unterminated variable reference in '{$FOO': '{$' needs a closing '}'" },
  { name: "unterminated {% reference", text: ". {\n  log {%FOO}\n}", at: ["Corefile", 2, 7], says: "'{%' needs a closing '%}'" },
  { name: "empty variable name", text: ". {\n  log {$}\n}", at: ["Corefile", 2, 7], says: "empty variable name '{$}'" },
  { name: "undefined variable, none defined", text: "{$ZONE} {\n}", at: ["Corefile", 1, 1], says: "undefined variable 'ZONE' in '{$ZONE}': mcsim never reads the environment, so give it in the variables option (none are defined)" },
  { name: "undefined variable, some defined", text: ". {\n  forward . {%UPSTREAM%}\n}", opts: { variables: { A: "1", B: "2" } }, at: ["Corefile", 2, 13], says: "undefined variable 'UPSTREAM' in '{%UPSTREAM%}': mcsim never reads the environment, so give it in the variables option (defined: A, B)" },
  { name: "undefined variable in an import pattern", text: "import {$F}", at: ["Corefile", 1, 8], says: "undefined variable 'F'" },
  // zones and ports
  { name: "unknown scheme", text: "udp://example.org {\n}", at: ["Corefile", 1, 1], says: "unknown scheme 'udp://' in 'udp://example.org': expected dns://, tls://, https://, grpc://, quic://, https3://" },
  { name: "upper-case scheme", text: "x.org TLS://example.org {\n}", at: ["Corefile", 1, 7], says: "(schemes are lower case: 'tls://')" },
  { name: "colon without a port", text: "example.org: {\n}", at: ["Corefile", 1, 1], says: "expected a port after the last ':' in 'example.org:'" },
  { name: "port 0", text: ".:0 {\n}", at: ["Corefile", 1, 1], says: "bad port '0' in '.:0': expected a number from 1 to 65535" },
  { name: "port above 65535", text: ". .:65536 {\n}", at: ["Corefile", 1, 3], says: "bad port '65536'" },
  { name: "port that is not a number", text: ".:dns {\n}", at: ["Corefile", 1, 1], says: "bad port 'dns' in '.:dns'" },
  { name: "missing zone before a port", text: ":53 {\n}", at: ["Corefile", 1, 1], says: "missing zone in ':53'" },
  { name: "missing zone after a scheme", text: "tls://:853 {\n}", at: ["Corefile", 1, 1], says: "missing zone in 'tls://:853'" },
  { name: "zone too long", text: `${("a".repeat(63) + ".").repeat(3)}${"b".repeat(63)} {\n}`, at: ["Corefile", 1, 1], says: "is too long: 255 characters, a DNS name holds at most 253" },
  { name: "empty label", text: "a..b {\n}", at: ["Corefile", 1, 1], says: "invalid zone 'a..b': it has an empty label" },
  { name: "label over 63 characters", text: `${"x".repeat(64)}.org {\n}`, at: ["Corefile", 1, 1], says: "is longer than 63 characters" },
  { name: "bad character in a zone", text: "exa!mple.org {\n}", at: ["Corefile", 1, 1], says: `invalid zone 'exa!mple.org' in 'exa!mple.org': "!" is not allowed in a zone name` },
  { name: "brace glued to a zone", text: "example.org{", at: ["Corefile", 1, 1], says: "braces must be separated from zones by white space" },
  { name: "brace glued to a zone, block read without it", text: "example.org{\n  log\n}", at: ["Corefile", 3, 1], says: "has no '{'); put a space before the '{' of 'example.org{'" },
  { name: "'{}' read as a zone", text: ". {}", at: ["Corefile", 1, 3], says: "invalid zone '{}'" },
  { name: "snippet name among zones", text: "(a) example.org {\n}", at: ["Corefile", 1, 1], says: "a snippet '(name)' must be the only name before its '{'" },
  { name: "CIDR prefix too long", text: "10.0.0.0/33 {\n}", at: ["Corefile", 1, 1], says: 'bad reverse zone: invalid CIDR "10.0.0.0/33"' },
  { name: "CIDR with three octets", text: "10.0.0/24 {\n}", at: ["Corefile", 1, 1], says: 'bad reverse zone: invalid CIDR "10.0.0/24"' },
  { name: "CIDR with host bits", text: "10.0.0.1/24 {\n}", at: ["Corefile", 1, 1], says: "it has host bits set; did you mean 10.0.0.0/24?" },
  { name: "IPv6 CIDR starting with ':'", text: "::/64 {\n}", at: ["Corefile", 1, 1], says: "CoreDNS refuses an IPv6 CIDR that starts with ':' or '0'" },
  { name: "IPv6 CIDR starting with '0'", text: "0:0::/64 {\n}", at: ["Corefile", 1, 1], says: "CoreDNS refuses an IPv6 CIDR that starts with ':' or '0'" },
  { name: "IPv6 prefix too long", text: "fd00::/129 {\n}", at: ["Corefile", 1, 1], says: "a prefix length 0-128" },
  { name: "IPv6 group too long", text: "fd000::/64 {\n}", at: ["Corefile", 1, 1], says: "groups of one to four hexadecimal digits" },
  { name: "IPv6 with two '::'", text: "fd00::1::2/128 {\n}", at: ["Corefile", 1, 1], says: "'::' may appear only once" },
  { name: "IPv6 with too few groups", text: "fd00:1:2:3/64 {\n}", at: ["Corefile", 1, 1], says: "expected eight groups" },
  { name: "IPv6 with a bad embedded IPv4", text: "fd00::1.2.3.999/128 {\n}", at: ["Corefile", 1, 1], says: '"1.2.3.999" is not an IPv4 address' },
  { name: "IPv6 CIDR with host bits", text: "fd00::1/64 {\n}", at: ["Corefile", 1, 1], says: "it has host bits set" },
  // server block structure
  { name: "comma before '{'", text: "a.org, {\n}", at: ["Corefile", 1, 8], says: "expected another zone after ',' but found '{'" },
  { name: "comma at the end of the file", text: "a.org,", at: ["Corefile", 1, 1], says: "expected another zone after ',' but the file ended" },
  { name: "missing zone before '{'", text: "\n{\n  log\n}", at: ["Corefile", 2, 1], says: "missing zone: a server block starts with the zones it serves" },
  { name: "'}' where a zone should be", text: ". {\n}\n}", at: ["Corefile", 3, 1], says: "unexpected '}': no block is open here" },
  { name: "empty zone", text: '"" {\n}', at: ["Corefile", 1, 1], says: "empty zone" },
  { name: "unterminated server block", text: ". {\n  log\n", at: ["Corefile", 1, 3], says: "unterminated server block: this '{' has no matching '}'" },
  { name: "'{' on the line after a plugin", text: ". {\n  log\n  {\n  }\n}", at: ["Corefile", 3, 3], says: "unexpected '{': a block opens at the end of the line of its zone or plugin" },
  { name: "'}' in a block without braces", text: ".\nlog\n}", at: ["Corefile", 3, 1], says: "unexpected '}': no block is open (the server block '.' at Corefile:1:1 has no '{')" },
  { name: "'{' in a block without braces", text: ".\nlog\n{\n}", at: ["Corefile", 3, 1], says: "unexpected '{'" },
  { name: "'}' after an argument (one-line block)", text: ". { whoami }", at: ["Corefile", 1, 12], says: "'}' must start a new line: CoreDNS does not close a block at a '}' that follows 'whoami' on the same line" },
  { name: "'}' after a property (one-line plugin block)", text: ". {\n  health { lameduck 5s }\n}", at: ["Corefile", 2, 24], says: "follows 'lameduck' on the same line" },
  { name: "text after a block's '}'", text: ". {\n  health {\n  } x\n}", at: ["Corefile", 3, 5], says: "unexpected 'x' after the '}' that closes 'health': start a new line" },
  { name: "two '}' on one line", text: ". {\n  health {\n  } }", at: ["Corefile", 3, 5], says: "unexpected '}' after the '}' that closes 'health'" },
  { name: "unterminated plugin block", text: ". {\n  health {\n    lameduck 5s\n", at: ["Corefile", 2, 10], says: "unterminated block: this '{' has no matching '}'" },
  { name: "'{' alone in a plugin block", text: ". {\n  health {\n    {\n    }\n  }\n}", at: ["Corefile", 3, 5], says: "unexpected '{': a block opens at the end of the line of its plugin or property" },
  { name: "blocks nested too deep", text: tooDeep, at: ["Corefile", MAX_BLOCK_DEPTH + 2, 3], says: `blocks nested more than ${MAX_BLOCK_DEPTH} deep` },
  // directives
  { name: "unknown directive", text: ". {\n  frobnicate\n}", at: ["Corefile", 2, 3], says: "unknown directive 'frobnicate': expected the name of a CoreDNS plugin" },
  { name: "misspelt directive", text: ". {\n  kubernets cluster.local\n}", at: ["Corefile", 2, 3], says: "unknown directive 'kubernets': expected the name of a CoreDNS plugin (did you mean 'kubernetes'?)" },
  { name: "next server block without closing the last", text: ". {\n  whoami\nexample.org {\n  log\n}\n", at: ["Corefile", 3, 1], says: "unknown directive 'example.org': expected the name of a CoreDNS plugin; if it starts a new server block, close the one at Corefile:1:1 with '}' first" },
  {
    name: "health alone at the top level (the manual's pitfall)",
    text: "health\n\n. {\n    whoami\n}\n",
    at: ["Corefile", 3, 1],
    says: "unknown directive '.': expected the name of a CoreDNS plugin; 'health' at Corefile:1:1 was read as the zone of a server block because no '{' follows it",
  },
  // snippets
  { name: "empty snippet name", text: "() {\n}", at: ["Corefile", 1, 1], says: "empty snippet name '()'" },
  { name: "snippet redefinition", text: "(s) {\n  log\n}\n(s) {\n  errors\n}", at: ["Corefile", 4, 1], says: "snippet 's' is already defined at Corefile:1:1" },
  { name: "snippet without a body", text: "(s)\nlog", at: ["Corefile", 1, 1], says: "snippet '(s)' has no body: expected '{' after it" },
  { name: "unterminated snippet", text: "(s) {\n  log {\n  }\n", at: ["Corefile", 1, 5], says: "unterminated snippet '(s)': this '{' has no matching '}'" },
  // import
  { name: "import without an argument", text: ". {\n  import\n}", at: ["Corefile", 2, 3], says: "import needs an argument: a file, a glob pattern or a snippet name" },
  { name: "import with two arguments", text: "import a b", at: ["Corefile", 1, 10], says: "import takes one argument (a file, a glob pattern or a snippet name), got 2" },
  { name: "import on a one-line block", text: "(s) {\n}\n. { import s }", at: ["Corefile", 3, 14], says: "import takes one argument" },
  { name: "import of an empty name", text: 'import ""', at: ["Corefile", 1, 8], says: "import needs a non-empty file name, glob pattern or snippet name" },
  { name: "glob with two wildcards", text: "import *.d/*.conf", at: ["Corefile", 1, 8], says: "import pattern '*.d/*.conf' has more than one '*' or '?': CoreDNS allows one wildcard" },
  { name: "glob with a character class", text: "import conf[12]", at: ["Corefile", 1, 8], says: "character classes and escapes are not supported" },
  { name: "import of a directory", text: "import conf.d", opts: { files: { "conf.d/a.conf": "" } }, at: ["Corefile", 1, 8], says: "cannot import 'conf.d': it is a directory; to import its files write 'import conf.d/*'" },
  { name: "missing file", text: ". {\n  import missing.conf\n}", at: ["Corefile", 2, 10], says: "file to import not found: 'missing.conf' is neither a snippet defined above nor a file ('missing.conf')" },
  { name: "snippet used before it is defined", text: ". {\n  import s\n}\n(s) {\n}", at: ["Corefile", 2, 10], says: "is neither a snippet defined above nor a file" },
  { name: "import inside a plugin block after its '{'", text: "(s) {\n  lameduck 5s\n}\n. {\n  health { import s\n  }\n}", at: ["Corefile", 5, 12], says: "import must start its own line" },
  { name: "error inside an imported file", text: "import a.conf", opts: { files: { "a.conf": '. {\n  log "x\n}' } }, at: ["a.conf", 2, 7], says: "unterminated quoted string: the '\"' opened here has no closing '\"' (via a.conf imported at Corefile:1:1)" },
  { name: "unknown directive in a snippet", text: "(s) {\n  bogus\n}\n. {\n  import s\n}", at: ["Corefile", 2, 3], says: "unknown directive 'bogus': expected the name of a CoreDNS plugin (via snippet 's' imported at Corefile:5:3)" },
  { name: "snippet importing itself", text: "(s) {\n  import s\n}\n. {\n  import s\n}", at: ["Corefile", 2, 3], says: "import cycle: snippet 's' → snippet 's' (via snippet 's' imported at Corefile:5:3)" },
  {
    name: "files importing each other",
    text: "import a.conf",
    opts: { files: { "a.conf": "import b.conf", "b.conf": "\n  import a.conf" } },
    at: ["b.conf", 2, 3],
    says: "import cycle: a.conf → b.conf → a.conf (via b.conf imported at a.conf:1:1; a.conf imported at Corefile:1:1)",
  },
  { name: "Corefile importing itself", text: "import Corefile", opts: { files: { Corefile: "" } }, at: ["Corefile", 1, 1], says: "import cycle: Corefile → Corefile" },
  { name: "runaway imports", text: snippetFlood, at: ["Corefile", 205, 1], says: `more than ${MAX_IMPORTS} imports: snippets or files import each other too often (via snippet 'c' imported at Corefile:208:3)` },
  // listeners
  { name: "same zone and port twice", text: ". {\n}\n.:53 {\n}", at: ["Corefile", 3, 1], says: "cannot serve dns://.:53 - it is already defined at Corefile:1:1; serve it on another port, or bind the two blocks to different addresses" },
  { name: "same zone twice in one block", text: "example.org EXAMPLE.org. {\n}", at: ["Corefile", 1, 13], says: "cannot serve dns://example.org.:53 - it is already defined at Corefile:1:1" },
  { name: "a CIDR and its reverse zone", text: "10.0.0.0/24 {\n}\n0.0.10.in-addr.arpa {\n}", at: ["Corefile", 3, 1], says: "cannot serve dns://0.0.10.in-addr.arpa.:53 - it is already defined at Corefile:1:1" },
  { name: "same bind address twice", text: ". {\n  bind 10.0.0.1\n}\n. {\n  bind 10.0.0.1\n}", at: ["Corefile", 4, 1], says: "cannot serve dns://.:53 on 10.0.0.1 - it is already defined at Corefile:1:1" },
  { name: "unbound after bound", text: ". {\n  bind 127.0.0.1\n}\n. {\n}", at: ["Corefile", 4, 1], says: "cannot serve dns://.:53 - it overlaps dns://.:53 on 127.0.0.1 at Corefile:1:1: a block without 'bind' listens on every address" },
  { name: "bound after unbound", text: ". {\n}\n. {\n  bind 127.0.0.1\n}", at: ["Corefile", 3, 1], says: "cannot serve dns://.:53 on 127.0.0.1 - it overlaps dns://.:53 at Corefile:1:1, which has no 'bind' and so listens on every address" },
  { name: "a view overlapping a plain block", text: ". {\n}\n. {\n  view v\n}", at: ["Corefile", 3, 1], says: "cannot serve dns://.:53 - it is already defined at Corefile:1:1" },
];

describe("errors: every error names file, line and column, and what was expected", () => {
  it.each(ERRORS.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const e = parseError(c.text, c.opts);
    expect([e.file, e.line, e.column]).toEqual(c.at);
    expect(e.detail).toContain(c.says);
    expect(e.message).toBe(`${c.at[0]}:${c.at[1]}:${c.at[2]}: ${e.detail}`);
    expect(e.name).toBe("CorefileError");
  });
});

// ---- properties ------------------------------------------------------------------------------

/**
 * Parses and checks the outcome: a Corefile whose keys and plugins are well formed, or a
 * CorefileError with a position; anything else is rethrown. Plain checks rather than expect(),
 * which is slow in a loop of thousands.
 */
function expectCorefileOrError(text: string, opts: Opts): void {
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`${what} for ${JSON.stringify(text)}`);
  };
  let result: Corefile;
  try {
    result = parse(text, opts);
  } catch (e) {
    if (!(e instanceof CorefileError)) throw e;
    check(e.line >= 1 && e.column >= 1, `bad position ${e.line}:${e.column}`);
    check(e.message === `${e.file}:${e.line}:${e.column}: ${e.detail}`, `bad message ${e.message}`);
    return;
  }
  for (const server of result.servers) {
    check(server.keys.length > 0, "a server without keys");
    for (const k of server.keys) {
      check(k.zone.endsWith(".") && k.zone === k.zone.toLowerCase(), `zone ${k.zone} not canonical`);
      check(Number.isInteger(k.port) && k.port >= 1 && k.port <= 65535, `bad port ${k.port}`);
    }
    for (const dir of server.directives) check((opts.plugins ?? ALL).has(dir.name), `plugin ${dir.name} not allowed`);
    check(orderDirectives(server.directives).length === server.directives.length, "orderDirectives lost directives");
  }
}

const SOUP = [
  "{", "}", '"', "#", "\n", "\n", " ", "\t", "import", "(x)", "(y)", "x", "y", ".", ":53", ".:53", "example.org", "a.conf", "*.conf",
  "forward", "health", "log", "kubernetes", "bogus", "{$V}", "{$U}", "{%V%}", "{$", ",", "\\", "10.0.0.0/27", "fd00::/64", "bind", "1.1.1.1", "\r", "view",
];
const soup = fc.array(fc.constantFrom(...SOUP), { maxLength: 40 }).chain((tokens) =>
  fc.array(fc.constantFrom("", " ", "\n"), { minLength: tokens.length, maxLength: tokens.length }).map((seps) =>
    tokens.map((t, i) => t + seps[i]!).join(""),
  ),
);

describe("properties", () => {
  const opts = (files: Record<string, string>): Opts => ({ variables: { V: "x", E: "" }, files });

  it("returns a Corefile or throws a CorefileError for any ASCII string", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => expectCorefileOrError(text, opts({}))), { numRuns: 300 });
  });

  it("returns a Corefile or throws a CorefileError for any Unicode string", () => {
    // Code points of the whole range (lone surrogates included), with structure mixed in. (Built from
    // integers: fc.string's "binary" unit is slow to generate under vitest.)
    const codePoint = fc.oneof(fc.integer({ min: 0, max: 0x10ffff }), fc.constantFrom(...[..."{}\"# \n.:$%"].map((c) => c.codePointAt(0)!)));
    const unicode = fc.array(codePoint, { maxLength: 100 }).map((cps) => String.fromCodePoint(...cps));
    fc.assert(fc.property(unicode, (text) => expectCorefileOrError(text, opts({}))), { numRuns: 300 });
  });

  it("returns a Corefile or throws a CorefileError for strings with lone surrogates, BOMs and line separators", () => {
    const odd = fc.string({ unit: fc.constantFrom("\ud800", "\udfff", "{", "}", " ", "\n", "a", '"', "\u2028", "\ufeff"), maxLength: 40 });
    fc.assert(fc.property(odd, (text) => expectCorefileOrError(text, opts({}))), { numRuns: 200 });
  });

  it("returns a Corefile or throws a CorefileError for token soup, with imports among soupy files", () => {
    fc.assert(
      fc.property(soup, soup, soup, fc.boolean(), (main, a, conf, all) =>
        expectCorefileOrError(main, { ...opts({ "a.conf": a, "b.conf": conf, "x.conf": "import a.conf" }), plugins: all ? ALL : KUBEADM_PLUGINS }),
      ),
      { numRuns: 1000 },
    );
  });

  // A generated Corefile, printed in a canonical style and in a random one.
  const ZONES = [".", "example.org", "Cluster.Local", "example.org:1053", "tls://example.org", "10.0.0.0/24", "in-addr.arpa", "org.", "grpc://a.b:5553"];
  const chars = (set: string): fc.Arbitrary<string> => fc.constantFrom(...set);
  // Words of an unquoted argument: no quote, brace, '#' or '$' to begin with.
  const word = fc
    .tuple(chars("abcxyz0129"), fc.string({ unit: chars("abcz09._/:=-"), maxLength: 8 }))
    .map(([head, tail]) => head + tail);
  const propertyName = fc.string({ unit: chars("abcdpqrz_"), minLength: 1, maxLength: 8 }).filter((n) => n !== "import");
  const quoted = fc
    .string({ unit: fc.constantFrom("a", " ", "#", "{", "}", "\t", "\n", "é", "'"), minLength: 0, maxLength: 6 })
    .filter((s) => s !== "{" && s !== "}")
    .map((s) => ({ quoted: s }));
  const arg = fc.oneof({ arbitrary: word, weight: 4 }, { arbitrary: quoted, weight: 1 });
  type Arg = string | { quoted: string };
  interface Node {
    name: string;
    args: Arg[];
    block: Node[] | null;
  }
  const nodeAt = (depth: number, names: fc.Arbitrary<string>): fc.Arbitrary<Node> =>
    fc.record({
      name: names,
      args: fc.array(arg, { maxLength: 3 }),
      block: depth >= 2 ? fc.constant(null) : fc.option(fc.array(nodeAt(depth + 1, propertyName), { maxLength: 3 }), { nil: null }),
    });
  // A block that binds one address twice serves the same key twice, which CoreDNS refuses (as the
  // parser does): such Corefiles are not the valid ones this property prints and reads back.
  const bindsTwice = (directives: Node[]): boolean => {
    const addresses = directives.filter((d) => d.name === "bind").flatMap((d) => d.args.map((a) => (typeof a === "string" ? a : a.quoted)));
    return new Set(addresses).size !== addresses.length;
  };
  const servers = fc.uniqueArray(fc.constantFrom(...ZONES), { minLength: 1, maxLength: 4 }).chain((zones) =>
    fc.tuple(
      ...zones.map((zone) =>
        fc.record({ zone: fc.constant(zone), directives: fc.array(nodeAt(0, fc.constantFrom(...PLUGIN_ORDER)), { maxLength: 4 }).filter((ds) => !bindsTwice(ds)) }),
      ),
    ),
  );
  const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
  const style = fc.record({
    indents: fc.array(fc.constantFrom("", " ", "  ", "\t", "    ", " \t"), { minLength: 1, maxLength: 5 }),
    seps: fc.array(fc.constantFrom(" ", "  ", "\t", " \t ", "\u00a0"), { minLength: 1, maxLength: 5 }),
    gaps: fc.array(fc.constantFrom("", "", "\n", "\n\n", "\n   \n", "\n# a comment { } \"\n", "\r\n"), { minLength: 1, maxLength: 5 }),
    trails: fc.array(fc.constantFrom("", " ", "\t", " # trailing } {"), { minLength: 1, maxLength: 5 }),
    braceOnNextLine: fc.boolean(),
  });
  type Style = typeof style extends fc.Arbitrary<infer S> ? S : never;
  const CANONICAL: Style = { indents: ["  "], seps: [" "], gaps: [""], trails: [""], braceOnNextLine: false };

  function print(blocks: { zone: string; directives: Node[] }[], s: Style): string {
    let n = 0;
    const lines: string[] = [];
    const line = (depth: number, text: string): void => {
      n++;
      lines.push(pick(s.gaps, n) + pick(s.indents, n).repeat(depth) + text + pick(s.trails, n) + "\n");
    };
    const argText = (a: Arg): string => (typeof a === "string" ? a : `"${a.quoted}"`);
    const node = (x: Node, depth: number): void => {
      const words = [x.name, ...x.args.map(argText), ...(x.block ? ["{"] : [])];
      line(depth, words.map((w, i) => (i === 0 ? w : pick(s.seps, n + i) + w)).join(""));
      if (x.block) {
        for (const child of x.block) node(child, depth + 1);
        line(depth, "}");
      }
    };
    for (const b of blocks) {
      if (s.braceOnNextLine) {
        line(0, b.zone);
        line(0, "{");
      } else {
        line(0, `${b.zone} {`);
      }
      for (const x of b.directives) node(x, 1);
      line(0, "}");
    }
    return lines.join("");
  }

  const expected = (x: Node): Shape => ({ name: x.name, args: x.args.map((a) => (typeof a === "string" ? a : a.quoted)), block: x.block ? x.block.map(expected) : null });

  it("reads back what was printed, and white space, blank lines and comments do not change the parse", () => {
    fc.assert(
      fc.property(servers, style, (blocks, s) => {
        const canonical = parse(print(blocks, CANONICAL));
        const reformatted = parse(print(blocks, s));
        expect(shapes(reformatted)).toEqual(shapes(canonical));
        expect(canonical.servers.map((b) => b.directives.map(shape))).toEqual(blocks.map((b) => b.directives.map(expected)));
        expect(canonical.servers.map((b) => b.keys.length)).toEqual(blocks.map(() => 1));
      }),
      { numRuns: 200 },
    );
  });
});
