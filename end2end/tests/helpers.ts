import { expect, type Page, type ConsoleMessage } from "@playwright/test";

/** Collects console errors and page errors so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg: ConsoleMessage) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  return errors;
}

/** Waits until the wasm has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true", { timeout: 15_000 });
}

/** A hospital code unique to this run. */
export function uniqueCode(prefix: string): string {
  return `${prefix}-${Date.now().toString(36).toUpperCase().slice(-6)}`;
}

import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import { request as playwrightRequest } from "@playwright/test";

/** The password of every account the end-to-end run creates (see scripts/e2e.sh). */
export const E2E_PASSWORD = "end-to-end passphrase 2026";
/** Where the registrar admin's signed-in session is kept between setup and tests. */
export const ADMIN_STATE = "end2end/.auth/admin.json";

function base32Decode(input: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of input.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) at `unixSeconds`. */
export function totp(secret: string, unixSeconds = Date.now() / 1000): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return n.toString().padStart(6, "0");
}

/** The account a test variant uses, created by scripts/e2e.sh (one per project and variant,
 * so a TOTP step is never reused across tests). */
export function e2eAccount(project: string, variant: string): string {
  return `e2e-${variant}-${project}@hospitallink.example`;
}

/** The newest code sent to `to`, read from the development outbox as the registrar admin. */
export async function latestCodeFor(baseURL: string, to: string): Promise<string> {
  const ctx = await playwrightRequest.newContext({ baseURL, storageState: ADMIN_STATE });
  try {
    for (let i = 0; i < 50; i++) {
      const html = await (await ctx.get("/admin/outbox")).text();
      const row = html.split("<tr").find((r) => r.includes(to));
      const match = row?.match(/sign-in code is (\d{6})/);
      if (match) return match[1];
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no code for ${to} in the outbox`);
  } finally {
    await ctx.dispose();
  }
}

/** A demo staff account without a second factor. */
export async function signIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("hospitallink-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** Opens a demo patient's chart by this hospital's MRN. */
export async function openChart(page: Page, mrn: string) {
  await page.goto(`/patients?q=${mrn}`);
  await page.locator("#patient-rows tr", { hasText: mrn }).getByRole("link").click();
  await expect(page.locator("#chart-mrn")).toHaveText(mrn);
}

/** Soweto's clinician opens Amina's whole record (or finds it open): labelled, time-limited. */
export async function breakGlass(page: Page, js: boolean) {
  await signIn(page, "clinician.chb@hospitallink.example");
  await openChart(page, "CHB-0001001");
  if (js) await hydrated(page);
  if ((await page.locator("#break-glass-banner").count()) === 0) {
    await expect(page.locator("#record-rows [data-source]")).toHaveCount(0);
    await page.getByText("Emergency access (break-glass)").click();
    await page.locator("#break-glass-reason").fill("Collapsed in the waiting room; needs her regimen and allergies");
    await page.locator("#break-glass-submit").click();
  }
  await expect(page.locator("#break-glass-banner")).toContainText("Emergency access (break-glass) is open until");
  await expect(page.locator("#record-rows [data-source]").first()).toContainText("from Kisumu County Referral Hospital");
  // While it is open, the form to open it is not offered again.
  await expect(page.locator("#break-glass-form")).toHaveCount(0);
}

/** Where Soweto's admin keeps the recovery codes of the enrolment the first run makes. */
export const CHB_ADMIN_CODES = "end2end/.auth/admin-chb.json";

/** Signs in Soweto's admin: enrols a second factor the first time, then uses a recovery code
 * (a TOTP step is never accepted twice, and runs follow each other within seconds). */
export async function signInSowetoAdmin(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Email").fill("admin.chb@hospitallink.example");
  await page.getByLabel("Password").fill("hospitallink-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/(account\/mfa|login\/mfa)$/);
  if (page.url().endsWith("/account/mfa")) {
    const secret = (await page.locator("#totp-secret").textContent())!.trim();
    await page.getByLabel("Code from the app").fill(totp(secret));
    await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
    await expect(page.locator("#recovery-codes li")).toHaveCount(10);
    const codes = await page.locator("#recovery-codes li").allTextContents();
    fs.mkdirSync("end2end/.auth", { recursive: true });
    fs.writeFileSync(CHB_ADMIN_CODES, JSON.stringify(codes.map((c) => c.trim())));
    await page.getByRole("link", { name: "Continue" }).click();
  } else {
    const codes: string[] = JSON.parse(fs.readFileSync(CHB_ADMIN_CODES, "utf8"));
    const code = codes.pop()!;
    fs.writeFileSync(CHB_ADMIN_CODES, JSON.stringify(codes));
    await page.getByLabel("Code").fill(code);
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await expect(page.locator("#signed-in-as")).toContainText("hospital admin");
}
