import { test, expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { hydrated, signIn, watchErrors } from "./helpers";

// Decision support at Kisumu: the worklists (most urgent first, with counts) and a tracing
// outcome recorded from one; the chart's explained flags; rifampicin for a patient on
// dolutegravir stopped with the WHO rule, hydrated (before saving) and without JavaScript
// (after submitting), then saved with an override reason.

async function noViolations(page: Page, js: boolean) {
  if (!js) return;
  const report = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(report.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

for (const js of [true, false]) {
  test.describe(js ? "hydrated" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: js });

    test("a worklist leads to an explained chart and records a tracing outcome", async ({ page }) => {
      const errors = watchErrors(page);
      await signIn(page, "clinician.ksm@hospitallink.example");
      await page.goto("/worklists?list=vl_due");
      await expect(page.locator("h1")).toHaveText("Worklists");
      await expect(page.locator("#tab-vl_due")).toHaveAttribute("aria-current", "page");
      const rows = page.locator("#worklist tbody tr");
      await expect(rows.first()).toBeVisible();
      await expect(rows.first()).toContainText("HIV.S.2");
      await noViolations(page, js);

      // A tracing outcome from the first row: kept, and shown on the row.
      const first = rows.first();
      const id = (await first.getAttribute("id"))!.replace("patient-", "");
      await first.locator("summary", { hasText: "Record tracing outcome" }).click();
      await first.locator("select[name=outcome]").selectOption("returning_to_clinic");
      await first.locator("select[name=contact_method]").selectOption("phone");
      await first.getByRole("button", { name: "Save outcome" }).click();
      await expect(page.locator("#done")).toHaveText("Tracing outcome recorded.");
      await expect(page.locator(`#patient-${id}`)).toContainText("Returning to clinic (HIV.H.DE24)");

      // The patient's chart explains the flag: rule, why, the inputs with dates, what to do.
      await page.locator(`#patient-${id} th a`).click();
      if (js) await hydrated(page);
      const flags = page.locator("#flags");
      await expect(flags.locator("[data-rule^='HIV.S.2']").first()).toContainText("Viral load");
      await expect(flags).toContainText("To do:");
      await expect(flags).toContainText("WHO 2021");
      await noViolations(page, js);
      expect(errors).toEqual([]);
    });

    test("rifampicin for a patient on dolutegravir is stopped with the WHO rule", async ({ page }) => {
      const errors = watchErrors(page);
      await signIn(page, "clinician.ksm@hospitallink.example");
      await page.goto("/patients?q=KSM-0000002");
      await page.locator("#patient-rows tr", { hasText: "KSM-0000002" }).getByRole("link").click();
      await expect(page.locator("#chart-mrn")).toHaveText("KSM-0000002");
      if (js) await hydrated(page);
      // On TDF+3TC+DTG from today (earlier runs left rifampicin on the record: the regimen
      // meets it, so it goes with a reason).
      await page.locator("#entry-art_regimen summary").click();
      await page.locator("#art_regimen-regimen").fill("TDF+3TC+DTG");
      await page.locator("#art_regimen-override_reason").fill("Continuing; rifampicin dose reviewed");
      await page.locator("#entry-art_regimen button[type=submit]").click();
      if (js) await expect(page.locator("#saved")).toHaveText("ART regimen saved.");
      else await expect(page).toHaveURL(/added=art_regimen/);

      // The chart reloads after a save and renders the quick entry again, which can close a
      // form opened meanwhile: open it until it stays open.
      const form = page.locator("#entry-prescription");
      await expect(async () => {
        if (!(await form.evaluate((d) => (d as HTMLDetailsElement).open))) await form.locator("summary").click();
        await expect(form.locator("#prescription-drug_name")).toBeVisible({ timeout: 1000 });
      }).toPass();
      await form.locator("#prescription-drug_name").fill("Rifampicin 600 mg");
      await form.locator("#prescription-dose").fill("600 mg");
      await form.locator("#prescription-frequency").fill("once daily");
      await form.locator("#prescription-duration_days").fill("60");
      const warnings = page.locator("#prescription-interactions");
      if (js) {
        // Shown as soon as the medicine is filled in, before saving.
        await expect(warnings).toContainText("HIV.D21.2.DT.41");
        await expect(warnings).toContainText("Adjust the dose of DTG");
      }
      await form.getByRole("button", { name: "Save prescription" }).click();
      // Refused: the rule, its guidance and the override field's message.
      await expect(warnings).toContainText("Severe interaction");
      await expect(warnings).toContainText("HIV.D21.2.DT.41");
      await expect(page.locator("#prescription-override_reason-error")).toContainText("is required");
      await expect(form.locator("#prescription-drug_name")).toHaveValue("Rifampicin 600 mg");
      await noViolations(page, js);

      await form.locator("#prescription-override_reason").fill("TB meningitis: DTG 50 mg twice daily");
      await form.getByRole("button", { name: "Save prescription" }).click();
      if (js) await expect(page.locator("#saved")).toHaveText("Prescription saved.");
      else await expect(page).toHaveURL(/added=prescription/);
      // The refused save's 409 is the answer this test expects; nothing else went wrong.
      expect(errors.filter((e) => !e.includes("status of 409"))).toEqual([]);
    });
  });
}
