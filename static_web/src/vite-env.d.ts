/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_API_BASE_URL?: string;
  readonly VITE_LIVE_URL?: string;
  readonly VITE_LIVE_PATH?: string;
  readonly VITE_AGENT_WS_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
