// The pages: the workspace app (index.html) and the embedding example
// (embed.html), built into dist/ and served by the local stack at / (and
// by the deployment's site bucket on AWS).
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, "index.html"),
        embed: resolve(import.meta.dirname, "embed.html"),
      },
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
  },
});
