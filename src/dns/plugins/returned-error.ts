/**
 * A plugin that fails in CoreDNS does not write a reply: its ServeDNS returns an error rcode and
 * an error, and the server writes an empty reply with that rcode (dns.md §3.2 step 4). Plugins
 * that wrap the writer never see that reply — so `cache` does not cache a SERVFAIL that `forward`
 * gave up with (dns.md §4.1, "exhausted / deadline hit") — and the `errors` plugin prints the
 * error.
 *
 * The model's chain has only `write`, so a plugin that fails this way writes the server's reply
 * built by {@link returnedError}, which is marked: writer wrappers pass a marked reply on as is,
 * and {@link returnedErrorOf} gives the error text that CoreDNS's `errors` plugin would print.
 */
import { errorReply, type Packet, type Rcode } from "../message.js";

const RETURNED = new WeakMap<Packet, string>();

/** The reply the server writes for a plugin that returned `rcode` with `error` without writing. */
export function returnedError(query: Packet, rcode: Rcode, error: string): Packet {
  const reply = errorReply(query, rcode);
  RETURNED.set(reply, error);
  return reply;
}

/** The error a plugin returned, when `reply` is the server's reply for it; undefined for a written reply. */
export function returnedErrorOf(reply: Packet): string | undefined {
  return RETURNED.get(reply);
}
