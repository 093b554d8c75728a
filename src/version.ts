/** The mcsim version, written into every trace header: same scenario + seed + version = same trace. */
export const VERSION = "0.1.0";
