import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The admin UI. `npm run dev` proxies the API and live events to the local server (`archer serve`).
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": "http://127.0.0.1:7071",
      "/agent": { target: "http://127.0.0.1:7071", ws: true },
      "/socket.io": { target: "http://127.0.0.1:7071", ws: true },
    },
  },
});
