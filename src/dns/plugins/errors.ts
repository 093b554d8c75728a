/**
 * errors — logs the queries that end in SERVFAIL.
 *
 * Syntax: `errors` (the `consolidate` and `stacktrace` options are not supported).
 *
 * CoreDNS logs `[ERROR] plugin/errors: 2 <qname> <qtype>: <error>` (dns.md §3.4); the model's
 * plugins report a failure as a SERVFAIL reply, which this writes to the server's log.
 */
import { rcodeOf } from "../message.js";
import { directiveError, type PluginFactory } from "../plugin.js";

export const errors: PluginFactory = {
  name: "errors",
  setup(context) {
    const d = context.directive;
    if (d.args.length > 0) throw directiveError(d, `errors: takes no arguments, got ${d.args.length}`);
    if (d.block && d.block.length > 0) throw directiveError(d.block[0]!, `errors: the option ${d.block[0]!.name} is not supported by mcsim`);
    return {
      name: "errors",
      serve(request, writer, next) {
        next(request, {
          write(reply) {
            if (rcodeOf(reply) === "SERVFAIL") request.server.log(`[ERROR] plugin/errors: 2 ${request.qname}. ${request.qtype}: server failure`);
            writer.write(reply);
          },
        });
      },
    };
  },
};
