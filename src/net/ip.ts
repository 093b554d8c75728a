/**
 * IPv4 addresses and CIDR ranges, as the clusters' pod and service ranges need them.
 */

/** An address or range that cannot be read. */
export class AddressError extends Error {
  override readonly name = "AddressError";
}

/** Reads a dotted-quad IPv4 address into an unsigned 32-bit number. */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) throw new AddressError(`invalid IPv4 address ${JSON.stringify(text)}: expected four numbers 0-255 separated by dots, e.g. 10.0.0.1`);
  let value = 0;
  for (const part of parts) {
    // Leading zeros are refused: some parsers read 010 as octal 8, others as 10.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) {
      throw new AddressError(`invalid IPv4 address ${JSON.stringify(text)}: ${JSON.stringify(part)} is not a number from 0 to 255`);
    }
    value = value * 256 + Number(part);
  }
  return value;
}

/** Writes an unsigned 32-bit number as a dotted-quad IPv4 address. */
export function formatIpv4(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/** An IPv4 range such as `10.96.0.0/12`. */
export class Cidr {
  /** The first address of the range, as a number. */
  readonly base: number;
  /** How many addresses the range holds. */
  readonly size: number;

  private constructor(
    base: number,
    /** The prefix length, 0 to 32. */
    readonly prefix: number,
  ) {
    this.size = 2 ** (32 - prefix);
    this.base = base - (base % this.size);
  }

  /**
   * Reads `a.b.c.d/n`. Host bits must be zero, as Kubernetes requires of its ranges.
   *
   * @throws AddressError naming what is wrong.
   */
  static parse(text: string): Cidr {
    const [ip, bits, extra] = text.split("/");
    if (ip === undefined || bits === undefined || extra !== undefined || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) {
      throw new AddressError(`invalid CIDR ${JSON.stringify(text)}: expected an IPv4 address, a slash and a prefix length 0-32, e.g. 10.96.0.0/12`);
    }
    let base: number;
    try {
      base = parseIpv4(ip);
    } catch (e) {
      throw new AddressError(`invalid CIDR ${JSON.stringify(text)}: ${(e as Error).message}`);
    }
    const cidr = new Cidr(base, Number(bits));
    if (cidr.base !== base) {
      throw new AddressError(`invalid CIDR ${JSON.stringify(text)}: it has host bits set; did you mean ${cidr}?`);
    }
    return cidr;
  }

  /** The range of the given prefix length that contains `address`. */
  static of(address: number, prefix: number): Cidr {
    return new Cidr(address, prefix);
  }

  /** The `index`-th address of the range (0 is the network address). */
  nth(index: number): string {
    if (!(Number.isInteger(index) && index >= 0 && index < this.size)) {
      throw new AddressError(`${this} has no address number ${index}: it holds ${this.size}`);
    }
    return formatIpv4(this.base + index);
  }

  /** The `index`-th subrange of the given (longer) prefix length. */
  subnet(prefix: number, index: number): Cidr {
    if (prefix < this.prefix) throw new AddressError(`a /${prefix} does not fit inside ${this}`);
    const size = 2 ** (32 - prefix);
    if (!(Number.isInteger(index) && index >= 0 && (index + 1) * size <= this.size)) {
      throw new AddressError(`${this} has room for ${this.size / size} /${prefix} ranges, not ${index + 1}`);
    }
    return new Cidr(this.base + index * size, prefix);
  }

  /** True when the address lies in this range. */
  contains(address: string): boolean {
    return this.holds(parseIpv4(address));
  }

  /** True when the address, read by {@link parseIpv4}, lies in this range. */
  holds(address: number): boolean {
    return address >= this.base && address < this.base + this.size;
  }

  /** True when the two ranges share any address. */
  overlaps(other: Cidr): boolean {
    return this.base < other.base + other.size && other.base < this.base + this.size;
  }

  toString(): string {
    return `${formatIpv4(this.base)}/${this.prefix}`;
  }
}
