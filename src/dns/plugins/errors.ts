/**
 * errors — accepted; the error lines are written by the plugin that fails.
 *
 * Syntax: `errors` (the `consolidate` and `stacktrace` options are not supported).
 *
 * CoreDNS's errors plugin logs `[ERROR] plugin/errors: <rcode> <qname> <qtype>: <error>` for every
 * error a later plugin returns (dns.md §3.4), not for replies that merely carry SERVFAIL. In the
 * model a failing plugin writes that line itself when it fails (forward's timeouts, rewrite's
 * invalid names, autopath), so this plugin has nothing left to do in the query path. The one
 * difference from CoreDNS: without `errors` in the Corefile the lines are still written.
 */
import { directiveError, type PluginFactory } from "../plugin.js";

export const errors: PluginFactory = {
  name: "errors",
  setup(context) {
    const d = context.directive;
    if (d.args.length > 0) throw directiveError(d, `errors: takes no arguments, got ${d.args.length}`);
    if (d.block && d.block.length > 0) throw directiveError(d.block[0]!, `errors: the option ${d.block[0]!.name} is not supported by mcsim`);
    return null;
  },
};
