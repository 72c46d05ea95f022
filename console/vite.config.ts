import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

/**
 * The admin console (issue 25): built from the repository root with
 * `npx vite build --config console/vite.config.ts` into dist/console, which the server serves at
 * /admin under `script-src 'self'; style-src 'self'`. So: no inline script or style, nothing
 * inlined as a data: URL, nothing from another origin. JSX goes through Vite's own Oxc transform
 * (no @vitejs/plugin-react).
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.LATCHKEY_URL ?? 'http://127.0.0.1:3000';

const config: UserConfig = {
  root: here,
  base: '/admin/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    rolldownOptions: {
      // TanStack Query marks its modules "use client" (for React Server Components): meaningless
      // in a client-only bundle, and Rolldown warns once per module.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  // `npx vite --config console/vite.config.ts` serves the console on :5173 against a server on
  // :3000 (LATCHKEY_URL), for work on the console alone.
  server: {
    proxy: Object.fromEntries(['/api', '/platform', '/.well-known'].map((p) => [p, api])),
  },
};

export default defineConfig(({ command }) => {
  // A build is always a production build, even when NODE_ENV says otherwise: jest runs with
  // NODE_ENV=test, which would bundle React's development build (70% larger, and slower).
  // Vite reads NODE_ENV after loading this file, so setting it here is enough.
  if (command === 'build') process.env.NODE_ENV = 'production';
  return config;
});
