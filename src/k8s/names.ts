import type { Rng } from "../sim/rng.js";

/**
 * The alphabet Kubernetes draws generated name suffixes from (k8s.io/apimachinery rand.String):
 * no vowels, so that no word is spelt by chance, and no 0/1/3 that look like letters.
 */
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** A random suffix of `length` characters, as in `web-7d4b9c8f5b-x2k8q`. */
export function randomSuffix(rng: Rng, length = 5): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[rng.int(ALPHABET.length)];
  return out;
}

/**
 * A stable short hash of some text in the same alphabet, as the pod-template-hash label is: the
 * same template always gives the same hash (FNV-1a over the text, spelt out in the alphabet).
 */
export function stableHash(text: string, length = 10): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x811c9dc5) >>> 0;
  }
  let out = "";
  for (let i = 0; i < length; i++) {
    const source = i % 2 === 0 ? h1 : h2;
    out += ALPHABET[source % ALPHABET.length];
    if (i % 2 === 0) h1 = (Math.floor(h1 / ALPHABET.length) ^ Math.imul(h1, 31)) >>> 0;
    else h2 = (Math.floor(h2 / ALPHABET.length) ^ Math.imul(h2, 31)) >>> 0;
  }
  return out;
}
