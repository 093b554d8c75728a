/**
 * dig's `;; OPT PSEUDOSECTION:` (BIND 9.18 `dns_message_pseudosectiontotext`) and its judgement
 * of a reply's COOKIE (`bin/dig/dighost.c` process_cookie): the server must echo the 8-byte client
 * cookie dig sent; with a server cookie as well (16 bytes or more) it is `(good)`, the client
 * cookie alone is `(echoed)`, anything else `(bad)` with a warning before the reply.
 */

import * as packet from "dns-packet";
import type { Answer } from "../message.js";

type Opt = Extract<Answer, { type: "OPT" }>;

/**
 * An EDNS option as dns-packet decodes any of them: a code and its bytes. (@types/dns-packet
 * lists only the options dns-packet can build from fields, so COOKIE is read through this view.)
 */
interface RawOption {
  readonly code: number;
  readonly data?: Buffer | undefined;
}

const COOKIE = 10;

/** How dig judged the COOKIE of a reply; undefined when it sent none, or the reply has none. */
export type CookieVerdict = "good" | "echoed" | "bad" | undefined;

/** dig's judgement of a reply's first COOKIE option, with the warning it prints for a bad one. */
export interface CookieCheck {
  readonly verdict: CookieVerdict;
  /** `;; Warning: …` line dig prints before the reply, or undefined. */
  readonly warning?: string;
}

/** The bytes of an option as dns-packet holds them (options built without `data` count as empty). */
function optionData(option: RawOption): Buffer {
  return option.data ?? Buffer.alloc(0);
}

/**
 * Judges the reply's first COOKIE option against the client cookie dig sent (hex), as
 * process_cookie does. No client cookie means dig sent none and judges nothing.
 */
export function checkCookie(opt: Opt | undefined, clientCookie: string | undefined): CookieCheck {
  const options: readonly RawOption[] = opt?.options ?? [];
  const option = options.find((o) => o.code === COOKIE);
  if (option === undefined || clientCookie === undefined) return { verdict: undefined };
  const sent = Buffer.from(clientCookie, "hex");
  const got = optionData(option);
  if (sent.length < 8 || got.length < 8) return { verdict: "bad", warning: ";; Warning: COOKIE bad token (too short)" };
  if (!got.subarray(0, 8).equals(sent.subarray(0, 8))) return { verdict: "bad", warning: ";; Warning: Client COOKIE mismatch" };
  return { verdict: got.length >= 16 ? "good" : "echoed" };
}

/**
 * Names BIND 9.18 prints for the options CoreDNS echoes (NSID, EXPIRE, TCP-KEEPALIVE, PADDING);
 * others are `OPT=<code>`. Checked against real dig 9.18 asking `mcsim serve-dns` with `+nsid`,
 * `+expire`, `+keepalive` and `+padding` (test/cli/dig-format.test.ts).
 */
const OPTION_NAMES: Readonly<Record<number, string>> = { 3: "NSID", 9: "EXPIRE", 11: "TCP KEEPALIVE", 12: "PAD" };
const PADDING = 12;

/** One option's line: COOKIE as one hex string with its verdict, others as hex bytes and text. */
function optionLine(option: RawOption, verdict: CookieVerdict): string {
  const data = optionData(option);
  if (option.code === COOKIE) {
    const hex = data.length === 0 ? "" : `: ${data.toString("hex")}`;
    return `; COOKIE${hex}${verdict === undefined ? "" : ` (${verdict})`}`;
  }
  const label = `; ${OPTION_NAMES[option.code] ?? `OPT=${option.code}`}`;
  // BIND writes the colon whatever follows: an empty option (dig's +nsid, echoed) is `; NSID:`.
  if (data.length === 0) return `${label}:`;
  // Padding is counted, not shown.
  if (option.code === PADDING) return `${label}: (${data.length} bytes)`;
  const bytes = [...data].map((b) => `${b.toString(16).padStart(2, "0")} `).join("");
  const printable = [...data].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  return `${label}: ${bytes}("${printable}")`;
}

/** The OPT pseudosection lines of a reply with an OPT record. */
export function optPseudosection(opt: Opt, verdict: CookieVerdict): string[] {
  const flags = opt.flags ?? 0;
  const mbz = flags & 0xffff & ~packet.DNSSEC_OK;
  const options: readonly RawOption[] = opt.options;
  const udp = mbz !== 0 ? `; MBZ: 0x${mbz.toString(16).padStart(4, "0")}, udp: ` : "; udp: ";
  return [
    ";; OPT PSEUDOSECTION:",
    `; EDNS: version: ${opt.ednsVersion ?? 0}, flags:${flags & packet.DNSSEC_OK ? " do" : ""}${udp}${opt.udpPayloadSize}`,
    ...options.map((o) => optionLine(o, verdict)),
  ];
}
