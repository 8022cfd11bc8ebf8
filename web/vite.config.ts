// The playground's build: a static site in dist-web/ (relative URLs, so any static server or
// `pagelab serve` can host it), the simulation in an ES-module worker.
import { defineConfig } from 'vite';

const here = (p: string): string => decodeURIComponent(new URL(p, import.meta.url).pathname);

export default defineConfig({
  root: here('.'),
  base: './',
  build: {
    outDir: here('../dist-web'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      // zod's sources carry /*#__PURE__*/ notes where Rollup cannot use them; harmless noise.
      onwarn(warning, warn) {
        if (warning.code !== 'INVALID_ANNOTATION') warn(warning);
      },
    },
  },
  worker: { format: 'es' },
  server: { fs: { allow: [here('..')] } },
});
