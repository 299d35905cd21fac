/**
 * The web app's build (npm run build:web): web/src → web/dist, served by the API at / (api/web.ts). Everything the
 * pages load is in the bundle: no fonts, scripts or images from another origin (the pages work offline and the
 * API's Content-Security-Policy allows 'self' only).
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inline assets would need data: in the CSP's script/style sources; files keep the policy at 'self'.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // npm run web:dev: the pages with hot reload, the API of npm start behind them.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' },
  },
});
