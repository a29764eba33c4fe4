// The wizard alone, as one ES module a CRM loads to get <contact-import>:
// dist/contact-import.js, Lit included, no other dependency.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: false,
    lib: {
      entry: resolve(import.meta.dirname, "src/wizard/contact-import.ts"),
      formats: ["es"],
      fileName: () => "contact-import.js",
    },
  },
});
