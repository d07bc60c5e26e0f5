// Builds the single-page app into web/dist, which `kelu serve` serves. Each page is its own
// chunk (React.lazy in src/routes.tsx), so the first route loads only what it shows.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    rolldownOptions: {
      // Ant Design marks its modules "use client" for React Server Components; a plain SPA
      // bundle drops the directive, as it should.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    // `npx vite --config web/vite.config.ts` with a kelu on :8080 for the API.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
