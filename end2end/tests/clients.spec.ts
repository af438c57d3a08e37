import { test, expect } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { hydrated, totp, watchErrors } from "./helpers";

// Kisumu's hospital admin sets up the hospital's EHR as an integration client: the secret is
// shown once, the client gets a token with it, and disabling it ends that at once.
test("a hospital admin creates an integration client, sees its secret once, and disables it", async ({ page, request }) => {
  const errors = watchErrors(page);
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill("admin.ksm@hospitallink.example");
  await page.getByLabel("Password").fill("hospitallink-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  // A hospital admin enrols a second factor first.
  await expect(page).toHaveURL(/\/account\/mfa$/);
  await hydrated(page);
  const secret = (await page.locator("#totp-secret").textContent())!.trim();
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  await expect(page.locator("#recovery-codes li")).toHaveCount(10);

  await page.goto("/admin/clients");
  await hydrated(page);
  await expect(page.locator("#client-rows")).toContainText("No integration client yet.");
  await page.getByLabel("Name").fill("Kisumu EHR");
  await page.getByLabel("patients.read").check();
  await page.getByLabel("records.read").check();
  await page.locator("#client-submit").click();
  const shown = page.locator("#client-secret");
  await expect(shown).toContainText("Copy the secret now");
  const text = (await shown.textContent())!;
  const clientId = text.match(/client_id ([0-9a-f-]{36})/)![1];
  const clientSecret = text.match(/(hlcs_[A-Za-z0-9_-]+)/)![1];
  const row = page.locator(`[data-client="${clientId}"]`);
  await expect(row).toContainText("patients.read · records.read");
  await expect(row).toContainText("never used");
  const report = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(report.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);

  // The EHR gets a token with it (the OAuth client-credentials grant).
  const form = { grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret };
  const token = await request.post("/api/v1/auth/token", { form });
  expect(token.status()).toBe(200);
  expect((await token.json()).scope).toBe("patients.read records.read");
  await page.goto("/admin/clients");
  await expect(row).toContainText("last token");
  await expect(page.locator("#client-secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(clientSecret);

  // Disabled: no more tokens.
  await hydrated(page);
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(page.locator(`[data-client="${clientId}"]`)).toContainText("Kisumu EHR (disabled)");
  expect((await request.post("/api/v1/auth/token", { form })).status()).toBe(401);
  expect(errors).toEqual([]);
});
