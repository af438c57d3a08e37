import { test, expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { ADMIN_STATE, signInSowetoAdmin, watchErrors } from "./helpers";

// Soweto's admin reads the cascade at a glance and drills from TX_PVLS's denominator to the
// patients; the platform admin reads every hospital's totals with small numbers hidden. Both
// pages are rendered by the server alone, so they read the same with or without script.

async function noViolations(page: Page) {
  const report = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(report.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

function count(text: string | null): number {
  return Number((text ?? "").trim());
}

test("a hospital admin reads the cascade and drills down from a number to its patients", async ({ page }) => {
  const errors = watchErrors(page);
  await signInSowetoAdmin(page);
  await page.goto("/dashboard?period_start=2026-01-01&period_end=2026-03-31");
  await expect(page.locator("h1")).toHaveText("Dashboard");
  await expect(page.locator("#period")).toContainText("1 January 2026 to 31 March 2026");

  // The charts are images with their words for a screen reader.
  const cascade = page.locator("#cascade svg[role=img]");
  await expect(cascade).toBeVisible();
  await expect(page.locator("#cascade desc")).toContainText("on ART");
  await expect(page.locator("#suppression desc")).toContainText("2026-03");
  await expect(page.locator("#suppression svg rect")).toHaveCount(12);
  await expect(page.locator("#count-iit")).toBeVisible();

  // Every indicator, its definition, its CSV.
  const table = page.locator("#indicators");
  for (const m of ["tx_curr", "tx_new", "tx_pvls_d", "tx_pvls_n", "tx_ml", "tx_rtt"]) {
    await expect(table.locator(`#indicator-${m}`)).toBeVisible();
  }
  await expect(table.locator("#indicator-tx_pvls_d")).toContainText("12 months");
  const csv = page.locator("#csv-tx_pvls_d");
  await expect(csv).toHaveAttribute("href", "/api/v1/indicators/tx_pvls_d/csv?period_start=2026-01-01&period_end=2026-03-31");
  const onArt = count(await page.locator("#value-tx_curr").textContent());
  const tested = count(await page.locator("#value-tx_pvls_d").textContent());
  expect(onArt).toBeGreaterThan(0);
  expect(tested).toBeLessThanOrEqual(onArt);
  await noViolations(page);

  // The CSV the link downloads carries the same total.
  const download = await page.request.get("/api/v1/indicators/tx_pvls_d/csv?period_start=2026-01-01&period_end=2026-03-31");
  expect(download.status()).toBe(200);
  expect((await download.text()).split("\n")[1]).toContain(`"TX_PVLS","denominator","all","all","all",${tested}`);

  // TX_PVLS's denominator opens the patients behind it.
  await page.locator("#value-tx_pvls_d").click();
  await expect(page).toHaveURL(/\/dashboard\/patients\?measure=tx_pvls_d/);
  await expect(page.locator("#list-title")).toContainText(`${tested} patients`);
  const rows = page.locator("#indicator-patients tbody tr");
  await expect(rows).toHaveCount(Math.min(tested, 50));
  if (tested > 0) {
    await expect(rows.first()).toContainText("on ART");
    await expect(rows.first()).toContainText("MRN CHB-");
  }
  await noViolations(page);

  // Back, and one cell of the age and sex table: as many patients as it says.
  await page.getByRole("link", { name: "Back to the dashboard" }).click();
  const row = page.locator("#indicator-tx_curr");
  await row.locator("summary", { hasText: "By age and sex" }).click();
  const cell = row.locator("#cells-tx_curr td a").first();
  const inCell = count(await cell.textContent());
  await cell.click();
  await expect(page.locator("#list-title")).toContainText(`${inCell} patients`);
  await expect(page.locator("#indicator-patients tbody tr")).toHaveCount(Math.min(inCell, 50));
  expect(errors).toEqual([]);

  // The hospital's settings: each rule set says what it changes; a time zone the tz database
  // does not name is refused by name, and what was typed stays in the form.
  await page.goto("/admin/settings");
  await expect(page.locator("h1")).toHaveText("Hospital settings");
  await expect(page.locator("#rule_set-kenya-summary")).toContainText("Unsuppressed above 200 copies/mL");
  await noViolations(page);
  await page.getByLabel("Time zone").fill("Mars/Olympus");
  await page.getByRole("button", { name: "Save the settings" }).click();
  await expect(page.locator("#refused")).toContainText("timezone: must be a time zone");
  await expect(page.getByLabel("Time zone")).toHaveValue("Mars/Olympus");
  await noViolations(page);
  // The refused form's 400 is the answer expected; nothing else went wrong.
  expect(errors.filter((e) => !e.includes("status of 400"))).toEqual([]);
});

test.describe("the network view", () => {
  test.use({ storageState: ADMIN_STATE });

  test("a platform admin reads every hospital's totals with small numbers hidden", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto("/network?period_start=2026-01-01&period_end=2026-03-31");
    await expect(page.locator("h1")).toHaveText("Network indicators");
    const table = page.locator("#network");
    for (const name of ["Kisumu", "Mbarara", "Chris Hani Baragwanath"]) {
      await expect(table.locator("tbody tr", { hasText: name })).toHaveCount(1);
    }
    await expect(page.locator("#network-tx-curr svg[role=img]")).toBeVisible();
    // No number from 1 to 4 anywhere in the table: those read "<5".
    const cells = await table.locator("tbody td, tfoot td").allTextContents();
    for (const c of cells) {
      expect(["1", "2", "3", "4"]).not.toContain(c.trim());
    }
    await noViolations(page);
    // A hospital's own dashboard is not the platform admin's.
    const refused = await page.goto("/dashboard");
    expect(refused?.status()).toBe(403);
    await expect(page.locator("#unavailable")).toContainText("platform admins read the network view");
    // That page's 403 is the answer this test expects; nothing else went wrong.
    expect(errors.filter((e) => !e.includes("status of 403"))).toEqual([]);
  });
});
