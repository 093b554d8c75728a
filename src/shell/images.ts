import { busyboxVersion } from "./nslookup.js";

/** The network tools a lesson runs inside pods. */
export type PodTool = "dig" | "host" | "nslookup" | "curl" | "wget";

/** Debugging images that carry every tool (nicolaka/netshoot, the network-multitool images). */
const TOOLBOX = /(?:^|\/)(netshoot|network-multitool)(?::|@|$)/;
/** Images built around curl on Alpine: curl, and busybox's nslookup and wget. */
const CURL_IMAGE = /(?:^|\/)(curlimages\/curl|alpine\/curl)(?::|@|$)/;
/** Images that ship curl beside the BIND tools mcsim gives every other image (nginx's Debian images have curl). */
const WITH_CURL = /(?:^|\/)(nginx)(?::|@|$)/;

/**
 * Whether a pod's image has a tool, by its name as the images are built: busybox and Alpine have
 * busybox's `nslookup` and `wget` only; the curl images add curl; the toolbox images have all;
 * every other image (Debian, Ubuntu, distroless-debug, ...) has BIND's `dig`, `host` and
 * `nslookup`, as a lesson's image with dnsutils does, and `curl` only when it is nginx's.
 */
export function imageHas(image: string, tool: PodTool): boolean {
  if (TOOLBOX.test(image)) return true;
  if (CURL_IMAGE.test(image)) return tool === "curl" || tool === "nslookup" || tool === "wget";
  if (busyboxVersion(image) !== undefined) return tool === "nslookup" || tool === "wget";
  if (tool === "curl") return WITH_CURL.test(image);
  return tool !== "wget";
}
