import { test, expect, type Page, request as playwrightRequest } from "@playwright/test";
import { hydrated, watchErrors, ADMIN_STATE, signIn, openChart, breakGlass, signInSowetoAdmin } from "./helpers";

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

/** Mbarara asks Amina for her labs with a code, sees Kisumu's labelled results, revokes. */
async function codeFlow(page: Page, baseURL: string, js: boolean) {
  await signIn(page, "clinician.mbr@hospitallink.example");
  await openChart(page, "MBR-0001001");
  if (js) await hydrated(page);
  // Kisumu's records are withheld, and the chart says so without saying what.
  await expect(page.locator("#records-withheld")).toContainText("1 other hospital holds records");
  await expect(page.locator("#contact-withheld")).toBeVisible();
  await expect(page.locator("#record-rows [data-source]")).toHaveCount(0);

  const before = await consentCodesSoFar(baseURL);
  await page.locator("#ask-category-labs").check();
  await page.locator("#consent-request-submit").click();
  await expect(page.locator("#consent-code-form")).toContainText("A code went to the patient by SMS");
  const code = await latestConsentCode(baseURL, before);
  if (js) await hydrated(page);
  await page.locator("#consent-code").fill(code);
  await page.locator("#consent-code-submit").click();
  await expect(page.locator("#shared")).toBeVisible();
  await expect(page.locator("#record-rows [data-source]").first()).toContainText("from Kisumu County Referral Hospital");
  await expect(page.locator("#vl-chart svg circle").first()).toBeVisible();
  // Labs only: her notes and contact details stay with Kisumu.
  await expect(page.locator("#record-rows tr[data-type=adherence_note]")).toHaveCount(0);
  await expect(page.locator("#contact-withheld")).toBeVisible();

  // Revoked on her instruction: gone with the next page.
  if (js) await hydrated(page);
  await page.locator("#grant-rows li", { hasText: "active" }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.locator("#revoked")).toBeVisible();
  await expect(page.locator("#record-rows [data-source]")).toHaveCount(0);
}

test.describe("hydrated", () => {
  test("Mbarara sees Amina's Kisumu labs once she reads back a code, until it is revoked", async ({ page, baseURL }) => {
    const errors = watchErrors(page);
    await codeFlow(page, baseURL!, true);
    expect(errors).toEqual([]);
  });

  test("Soweto's break-glass shows every hospital's part under a banner", async ({ page }) => {
    const errors = watchErrors(page);
    await breakGlass(page, true);
    expect(errors).toEqual([]);
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the code flow and the revocation are plain form posts", async ({ page, baseURL }) => {
    await codeFlow(page, baseURL!, false);
  });

  test("Soweto breaks the glass in an emergency: labelled, time-limited, every hospital's part", async ({ page }) => {
    await breakGlass(page, false);
  });

  test("Soweto's admin reviews the opening: who, why, what was read", async ({ page }) => {
    await signInSowetoAdmin(page);
    await page.goto("/admin/break-glass?status=all");
    const opening = page.locator("#break-glass-rows li", { hasText: "Collapsed in the waiting room" }).first();
    await expect(opening).toContainText("opened the record of MRN CHB-0001001");
    await expect(opening.locator("[data-reads] li").first()).toContainText("read");
    const pending = opening.getByRole("button", { name: "Save review" });
    if ((await pending.count()) > 0) {
      await opening.getByLabel("Note (optional)").fill("Admitted through the emergency room; justified");
      await pending.click();
      await expect(page.locator("#review-saved")).toBeVisible();
      await page.goto("/admin/break-glass?status=all");
    }
    await expect(
      page.locator("#break-glass-rows li", { hasText: "Collapsed in the waiting room" }).first(),
    ).toContainText("Reviewed on");
  });
});
