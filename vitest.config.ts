import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Temporary HOME, history, Jupyter and cache folders for the whole run (see the file).
    globalSetup: ["test/helpers/global-setup.ts"],
    setupFiles: ["test/helpers/default-backend.ts"],
    pool: "forks",
    // Two cores: more workers only thrash; numerical tests are CPU-bound.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
