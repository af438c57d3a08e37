import { test, expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { hydrated, signIn, watchErrors } from "./helpers";

// Kisumu's front desk books Amina's refill from the clinician's week, checks her in, the
// clinician completes the visit, and the billing clerk invoices it and marks it paid: hydrated,
// and with JavaScript off (plain form posts).

/** A day far enough ahead to be free, different for each project and variant. */
function targetDay(project: string, js: boolean): string {
  const offset = 30 + (project === "phone" ? 14 : 0) + (js ? 0 : 7);
  const d = new Date(Date.now() + offset * 86_400_000);
  // A Wednesday of that week, so the day is inside the week view's Monday-to-Sunday.
  d.setUTCDate(d.getUTCDate() + ((3 - d.getUTCDay() + 7) % 7));
  return d.toISOString().slice(0, 10);
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/(login)?$/);
}

/** An accessibility audit (axe runs as a script: hydrated pages only). */
async function noViolations(page: Page, js: boolean) {
  if (!js) return;
  const report = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(report.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

for (const js of [true, false]) {
  test.describe(js ? "hydrated" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: js });

    test("a visit is booked from the week, completed, invoiced and paid", async ({ page }, info) => {
      const errors = watchErrors(page);
      const day = targetDay(info.project.name, js);
      await signIn(page, "reception.ksm@hospitallink.example");
      // The schedule and the billing desk are rendered by the server alone (links and forms).
      await page.goto(`/schedule?span=week&day=${day}`);
      await expect(page.locator("#schedule-title")).toContainText("Dr. Otieno Ouma");
      await noViolations(page, js);

      // Tap the free 10:00 slot of that day.
      await page.locator(`[data-day="${day}"] a[data-free]`, { hasText: "10:00" }).click();
      await expect(page).toHaveURL(/\/schedule\/book\?/);
      if (js) await hydrated(page);
      await expect(page.locator("#date")).toHaveValue(day);
      await expect(page.locator("#time")).toHaveValue("10:00");
      await page.locator("#mrn").fill("KSM-0000001");
      await page.locator("#visit_type").selectOption("refill");
      await page.locator("#minutes").selectOption("20");
      await noViolations(page, js);
      await page.getByRole("button", { name: "Book" }).click();
      await expect(page.locator("#done")).toHaveText("Appointment booked.");
      const id = new URL(page.url()).hash.replace("#visit-", "");
      const visit = page.locator(`article[data-visit="${id}"]`);
      await expect(visit).toContainText("Amina Odhiambo");
      await expect(visit).toContainText("10:00–10:20");

      // The same time again: hydrated, the form says so before it is sent; the server refuses.
      await page.goto(`/schedule/book?date=${day}&time=10:10`);
      if (js) {
        await hydrated(page);
        await expect(page.locator("#clashes")).toContainText("overlaps the clinician's");
        await expect(page.locator("#clashes")).toContainText("Amina Odhiambo");
      }
      await page.locator("#mrn").fill("KSM-0000002");
      await page.getByRole("button", { name: "Book" }).click();
      await expect(page.locator("#refused")).toContainText(`Overlaps appointment ${id}`);
      await expect(page.locator("#mrn")).toHaveValue("KSM-0000002");

      // Check-in at the front desk.
      await page.goto(`/schedule?span=day&day=${day}`);
      await visit.locator('[data-action="checked_in"]').click();
      await expect(page.locator("#done")).toHaveText("Checked in.");
      await expect(visit.locator("[data-status]")).toHaveText("Checked in");
      await signOut(page);

      // The clinician completes the visit.
      await signIn(page, "clinician.ksm@hospitallink.example");
      await page.goto(`/schedule?span=day&day=${day}`);
      await visit.locator('[data-action="completed"]').click();
      await expect(page.locator("#done")).toContainText("Visit completed");
      await expect(visit.locator("[data-status]")).toHaveText("Completed");
      await signOut(page);

      // The billing desk invoices it and marks it paid.
      await signIn(page, "billing.ksm@hospitallink.example");
      await page.goto("/invoices");
      await noViolations(page, js);
      await page.locator(`#to-invoice [data-appointment="${id}"] [data-action="invoice"]`).click();
      await expect(page.locator("#done")).toHaveText("Invoice created.");
      await page.goto("/invoices?status=unpaid");
      const row = page.locator(`#invoice-rows tr[data-appointment="${id}"]`);
      await expect(row).toContainText("99212");
      await expect(row).toContainText("USD 15.00");
      await row.locator('[data-action="paid"]').click();
      await expect(page.locator("#done")).toHaveText("Marked as paid.");
      await page.goto("/invoices?status=paid");
      await expect(row.locator("[data-status]")).toContainText("Paid");
      await expect(page.locator("#totals")).toContainText("USD");
      // The refused booking answers 409, which the browser logs; nothing else may be.
      expect(errors.filter((e) => !e.includes("409 (Conflict)"))).toEqual([]);
    });
  });
}
