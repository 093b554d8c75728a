import { defineConfig } from "tsup";

// Three entry points: the library (with type declarations), the `mcsim` command, and the lab
// shims' small client (which loads nothing but the socket client, so that a shim starts fast).
export default defineConfig({
  entry: { index: "src/index.ts", cli: "src/cli/main.ts", "lab-client": "src/shell/host/lab-client.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  splitting: true,
});
