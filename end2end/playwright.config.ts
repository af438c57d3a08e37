import { defineConfig } from "@playwright/test";

// Debian's Chromium; never a downloaded browser. The app is started by scripts/e2e.sh and its
// address passed in BASE_URL.
export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  timeout: 30_000,
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3100",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    // The patient portal is built for a phone: its journeys run once, in the phone project.
    { name: "tablet", use: { viewport: { width: 820, height: 1180 }, hasTouch: true }, testIgnore: /portal\.spec\.ts/ },
    // An admin's set-up page (and the demo admin enrols once): a tablet's.
    { name: "phone", use: { viewport: { width: 390, height: 844 }, hasTouch: true }, testIgnore: /clients\.spec\.ts/ },
  ],
});
