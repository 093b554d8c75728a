import { execFileSync } from "node:child_process";

/**
 * End-to-end tests run the built `mcsim` command as a user would, so build it once before the
 * suite (tsup, from tsup.config.ts).
 */
export default function setup(): void {
  execFileSync(process.execPath, ["node_modules/tsup/dist/cli-default.js", "--silent"], { stdio: "inherit" });
}
