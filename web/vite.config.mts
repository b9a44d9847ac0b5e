import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The buyers' and admins' app, built into web/dist and served by read-api under /app/ (README, "Web app"). Every asset
 * gets a content hash, so read-api can let browsers keep them for a year.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  plugins: [preact()],
  // `npm run dev:web`: reads and the app's config from a running read-api (npm start); writes go to write-api, which
  // must allow this origin (COUPONKILL_CORS_ORIGINS=http://localhost:5173).
  server: {
    port: 5173,
    strictPort: true,
    proxy: { '/api': 'http://localhost:8081', '/app/config.json': 'http://localhost:8081' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
  },
});
