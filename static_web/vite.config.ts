/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The admin UI. `npm run dev` proxies the API, the agent and live events to the local server (`archer serve`).
// Production builds read their service URLs from VITE_* variables (see src/config.ts and the README).
export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: {
      "/api": "http://127.0.0.1:7071",
      "/agent": { target: "http://127.0.0.1:7071", ws: true },
      "/socket.io": { target: "http://127.0.0.1:7071", ws: true },
    },
  },
  build: {
    // Route pages are split by React.lazy; vendor code that every page needs stays in the entry chunk.
    chunkSizeWarningLimit: 400,
    // dist/.vite/manifest.json: which chunks each route loads (bench/ui_budget.py reads it).
    manifest: true,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    restoreMocks: true,
  },
});
