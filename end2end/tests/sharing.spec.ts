import { test, expect, type Page, request as playwrightRequest } from "@playwright/test";
import { hydrated, watchErrors, ADMIN_STATE } from "./helpers";

/** A demo staff account without a second factor. */
async function signIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("hospitallink-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** Opens a demo patient's chart by this hospital's MRN. */
async function openChart(page: Page, mrn: string) {
  await page.goto(`/patients?q=${mrn}`);
  await page.locator("#patient-rows tr", { hasText: mrn }).getByRole("link").click();
  await expect(page.locator("#chart-mrn")).toHaveText(mrn);
}

/** The newest consent code sent to Amina's phone, read from the development outbox. */
async function latestConsentCode(baseURL: string, after: number): Promise<string> {
  const ctx = await playwrightRequest.newContext({ baseURL, storageState: ADMIN_STATE });
  try {
    for (let i = 0; i < 50; i++) {
      const html = await (await ctx.get("/admin/outbox")).text();
      const rows = html.split("<tr").filter((r) => r.includes("+254700100001") && r.includes("give this code"));
      const codes = rows.map((r) => r.match(/asked: (\d{6})/)?.[1]).filter((c): c is string => !!c);
      if (codes.length > after) return codes[0];
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error("no consent code in the outbox");
  } finally {
    await ctx.dispose();
  }
}

async function consentCodesSoFar(baseURL: string): Promise<number> {
  const ctx = await playwrightRequest.newContext({ baseURL, storageState: ADMIN_STATE });
  try {
    const html = await (await ctx.get("/admin/outbox")).text();
    return html.split("<tr").filter((r) => r.includes("+254700100001") && r.includes("give this code")).length;
  } finally {
    await ctx.dispose();
  }
}

test.describe("hydrated", () => {
  test("Mbarara sees Amina's Kisumu labs once she reads back a code, until it is revoked", async ({ page, baseURL }) => {
    const errors = watchErrors(page);
    await signIn(page, "clinician.mbr@hospitallink.example");
    await openChart(page, "MBR-0001001");
    await hydrated(page);
    // Kisumu's records are withheld, and the chart says so without saying what.
    await expect(page.locator("#records-withheld")).toContainText("1 other hospital holds records");
    await expect(page.locator("#contact-withheld")).toBeVisible();
    await expect(page.locator("#record-rows [data-source]")).toHaveCount(0);

    const before = await consentCodesSoFar(baseURL!);
    await page.locator("#ask-category-labs").check();
    await page.locator("#consent-request-submit").click();
    await expect(page.locator("#consent-code-form")).toContainText("A code went to the patient by SMS");
    const code = await latestConsentCode(baseURL!, before);
    await page.locator("#consent-code").fill(code);
    await page.locator("#consent-code-submit").click();
    await expect(page.locator("#shared")).toBeVisible();
    await expect(page.locator("#record-rows [data-source]").first()).toContainText("from Kisumu County Referral Hospital");
    await expect(page.locator("#vl-chart svg circle").first()).toBeVisible();
    // Labs only: her notes and contact details stay with Kisumu.
    await expect(page.locator("#record-rows tr[data-type=adherence_note]")).toHaveCount(0);
    await expect(page.locator("#contact-withheld")).toBeVisible();

    // Revoked on her instruction: gone with the next page.
    await page.locator("#grant-rows li", { hasText: "active" }).getByRole("button", { name: "Revoke" }).click();
    await expect(page.locator("#revoked")).toBeVisible();
    await expect(page.locator("#record-rows [data-source]")).toHaveCount(0);
    expect(errors).toEqual([]);
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("Soweto breaks the glass in an emergency: labelled, time-limited, every hospital's part", async ({ page }) => {
    await signIn(page, "clinician.chb@hospitallink.example");
    await openChart(page, "CHB-0001001");
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
  });
});
