import { test, expect, type Page } from "@playwright/test";
import { watchErrors, hydrated } from "./helpers";

/** The demo network's Kisumu clinician (no second factor for clinicians). */
async function signInClinician(page: Page) {
  await signIn(page, "clinician.ksm@hospitallink.example");
}

/** A demo staff account without a second factor. */
async function signIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("hospitallink-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** Opens a demo patient's chart by MRN (names may repeat in a network; MRNs do not). */
async function openChart(page: Page, mrn: string) {
  await page.goto(`/patients?q=${mrn}`);
  await page.locator("#patient-rows tr", { hasText: mrn }).getByRole("link").click();
  await expect(page.locator("#chart-mrn")).toHaveText(mrn);
}

/** A viral load unlikely to be entered by another test running at the same time. */
function uniqueCopies(): string {
  return String(1000 + Math.floor(Math.random() * 8000) * 3 + 7);
}

test.describe("hydrated", () => {
  test("search answers as you type and opens the chart", async ({ page }) => {
    const errors = watchErrors(page);
    await signInClinician(page);
    await page.goto("/patients");
    await hydrated(page);
    await page.locator("#patient-q").fill("amina odh");
    const rows = page.locator("#patient-rows tr");
    // No generated patient shares a named demo patient's name.
    await expect(rows).toHaveCount(1);
    await expect(rows.filter({ hasText: "KSM-0000001" })).toHaveCount(1);
    await expect(page).toHaveURL(/\/patients$/);
    await rows.filter({ hasText: "KSM-0000001" }).getByRole("link").click();
    await expect(page.locator("#chart-header h1")).toHaveText("Amina Odhiambo");
    await expect(page.locator("#chart-mrn")).toHaveText("KSM-0000001");
    await expect(page.locator("#vl-chart svg circle").first()).toBeVisible();
    await expect(page.locator("#cd4-chart svg")).toBeVisible();
    await expect(page.locator("#art-timeline li").first()).toContainText("Start");
    expect(errors).toEqual([]);
  });

  test("adds a viral load from the chart in place, showing it before the server answers", async ({ page }) => {
    const errors = watchErrors(page);
    await signInClinician(page);
    await openChart(page, "KSM-0000002");
    await hydrated(page);
    // Marks this page: a reload or a navigation would lose the mark.
    await page.evaluate(() => ((window as unknown as { chartMark: number }).chartMark = 1));
    const submit = page.locator("#entry-viral_load button[type=submit]");

    // A mistake comes back as the field's message; what was typed stays.
    await page.locator("#viral_load-copies_per_ml").fill("-40");
    await submit.click();
    await expect(page.locator("#viral_load-copies_per_ml-error")).toContainText("between 0");
    await expect(page.locator("#viral_load-copies_per_ml")).toHaveValue("-40");
    await expect(page.locator("#viral_load-copies_per_ml")).toHaveAttribute("aria-invalid", "true");

    // The server's answer is held back: the entry shows at once, and the form cannot be sent twice.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/_fn/patients/records/add", async (route) => {
      await held;
      await route.continue();
    });
    const copies = uniqueCopies();
    await page.locator("#viral_load-copies_per_ml").fill(copies);
    await submit.click();
    const pending = page.locator("#pending-record");
    await expect(pending).toContainText("Viral load");
    await expect(pending).toContainText("Saving…");
    await expect(submit).toHaveText("Saving…");
    await expect(submit).toBeDisabled();
    await expect(page.locator("#viral_load-copies_per_ml-error")).toHaveCount(0);
    release();

    await expect(page.locator("#saved")).toHaveText("Viral load saved.");
    await expect(page.locator("#record-rows")).toContainText(`${copies} copies/mL`);
    await expect(pending).toHaveCount(0);
    await expect(submit).toHaveText("Save viral load");
    // The header follows the new result, and the form is ready for the next one.
    await expect(page.locator("#vl-badge")).toContainText(`${copies} copies/mL`);
    await expect(page.locator("#viral_load-copies_per_ml")).toHaveValue("");

    // A second entry on the reloaded chart, in another form, shows the same way.
    let releaseCd4 = () => {};
    const heldCd4 = new Promise<void>((resolve) => (releaseCd4 = resolve));
    await page.unroute("**/_fn/patients/records/add");
    await page.route("**/_fn/patients/records/add", async (route) => {
      await heldCd4;
      await route.continue();
    });
    await page.locator("#entry-cd4 summary").click();
    const cells = String(300 + Math.floor(Math.random() * 400));
    await page.locator("#cd4-cells_per_ul").fill(cells);
    await page.locator("#entry-cd4 button[type=submit]").click();
    await expect(pending).toContainText("CD4");
    await expect(page.locator("#saved")).toHaveCount(0);
    releaseCd4();
    await expect(page.locator("#saved")).toHaveText("CD4 saved.");
    await expect(page.locator("#record-rows")).toContainText(`${cells} cells/µL`);
    await expect(pending).toHaveCount(0);

    expect(await page.evaluate(() => (window as unknown as { chartMark?: number }).chartMark)).toBe(1);
    // The only console message is the browser's note on the refused entry's answer.
    expect(errors).toEqual(["Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("search is a plain GET form", async ({ page }) => {
    await signInClinician(page);
    await page.goto("/patients");
    await page.locator("#patient-q").fill("Joseph");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/q=Joseph/);
    await expect(page.locator("#patient-rows tr").filter({ hasText: "Joseph Mwangi" })).toHaveCount(1);
  });

  test("a viral load with a mistake keeps what was typed, then saves", async ({ page }) => {
    await signInClinician(page);
    await openChart(page, "KSM-0000001");
    await page.locator("#viral_load-copies_per_ml").fill("-40");
    await page.getByRole("button", { name: "Save viral load" }).click();
    await expect(page.locator("#viral_load-copies_per_ml-error")).toContainText("between 0");
    await expect(page.locator("#viral_load-copies_per_ml")).toHaveValue("-40");
    const copies = uniqueCopies();
    await page.locator("#viral_load-copies_per_ml").fill(copies);
    await page.getByRole("button", { name: "Save viral load" }).click();
    await expect(page.locator("#saved")).toHaveText("Viral load saved.");
    await expect(page.locator("#record-rows")).toContainText(`${copies} copies/mL`);
  });

  test("the front desk checks, stores and downloads a consent form", async ({ page }) => {
    await signIn(page, "reception.ksm@hospitallink.example");
    await openChart(page, "KSM-0000001");
    const name = `consent-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    // The front desk sees no clinical records, only the documents it handles.
    await expect(page.locator("#records")).toHaveCount(0);
    // A text file dressed up as a PDF is refused, and the description is kept.
    await page.locator("#attachment-kind").selectOption("consent_form");
    await page.locator("#attachment-description").fill("Signed at intake");
    await page.locator("#attachment-file").setInputFiles({
      name: `${name}.pdf`,
      mimeType: "application/pdf",
      buffer: Buffer.from("not really a pdf"),
    });
    await page.locator("#attachment-submit").click();
    await expect(page.locator("#attachment-file-error")).toHaveText("must be a PDF, PNG or JPEG file");
    await expect(page.locator("#attachment-description")).toHaveValue("Signed at intake");
    // A real PDF is stored and listed; the download is the same file.
    const pdf = Buffer.from(`%PDF-1.4\n% ${name}\n%%EOF\n`);
    await page.locator("#attachment-file").setInputFiles({ name: `${name}.pdf`, mimeType: "application/pdf", buffer: pdf });
    await page.locator("#attachment-submit").click();
    await expect(page.locator("#attached")).toBeVisible();
    const link = page.locator("#document-rows a", { hasText: `${name}.pdf` });
    await expect(link).toHaveCount(1);
    await expect(page.locator("#document-rows li", { hasText: `${name}.pdf` })).toContainText("Consent form");
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe(`${name}.pdf`);
    const saved = await download.path();
    const fs = await import("node:fs");
    expect(fs.readFileSync(saved!).equals(pdf)).toBe(true);
  });

  test("an unknown patient is a plain not-found page", async ({ page }) => {
    await signInClinician(page);
    const response = await page.goto("/patients/0191e5b4-0000-7000-8000-000000000000");
    expect(response?.status()).toBe(404);
    await expect(page.locator("#unavailable h1")).toHaveText("Patient not found");
  });
});
