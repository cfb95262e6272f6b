/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { compression } from "vite-plugin-compression2";

// `npm run dev` proxies the API to a running `automap serve`; `npm run build` writes dist/ for Flask to serve.
// compression() writes a gzip (.gz) and a brotli (.br) copy beside each built file, at their highest levels, that
// Flask sends to the browsers that accept them: compressed once at build time, never per request.
export default defineConfig({
  plugins: [react(), compression()],
  server: {
    proxy: { "/api": "http://127.0.0.1:5000", "/v1": "http://127.0.0.1:5000" },
  },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
