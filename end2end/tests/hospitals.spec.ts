import { test, expect } from "@playwright/test";
import { watchErrors, hydrated, uniqueCode, ADMIN_STATE } from "./helpers";

// Registry changes need a platform admin: these tests use the session signed in by the setup.
test.use({ storageState: ADMIN_STATE });

test.describe("hydrated", () => {
  test("the list filters as you type (wasm only)", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto("/hospitals");
    await hydrated(page);
    const rows = page.locator("#hospital-rows tr");
    await expect(rows.filter({ hasText: "KSM" })).toHaveCount(1);
    expect(await rows.count()).toBeGreaterThanOrEqual(3);
    await page.getByLabel("Find a hospital by name or code").fill("mbar");
    // No navigation happened: the filter ran in the browser.
    await expect(page).toHaveURL(/\/hospitals$/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("Mbarara");
    expect(errors).toEqual([]);
  });

  test("registers a hospital without leaving the page, with field errors first", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto("/hospitals");
    await hydrated(page);
    const code = uniqueCode("JS");
    await page.locator("#name").fill("Gulu Regional Referral");
    await page.locator("#code").fill(code);
    await page.locator("#contact_email").fill("not-an-email");
    await page.locator("#country").fill("UG");
    await page.getByRole("button", { name: "Register hospital" }).click();
    await expect(page.locator("#contact_email-error")).toContainText("email address");
    // What was typed is still there.
    await expect(page.locator("#name")).toHaveValue("Gulu Regional Referral");
    await page.locator("#contact_email").fill("art@gulu.example.org");
    await page.getByRole("button", { name: "Register hospital" }).click();
    await expect(page.getByRole("status").filter({ hasText: `Hospital ${code} registered.` })).toBeVisible();
    await expect(page.locator(`#hospital-rows tr[data-code="${code}"]`)).toHaveCount(1);
    await expect(page).toHaveURL(/\/hospitals$/);
    // The only console line is the browser noting the 400 that carried the field errors.
    expect(errors).toEqual(["Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the registry renders and searches on the server", async ({ page }) => {
    await page.goto("/hospitals");
    await expect(page.locator("#hospital-rows tr[data-code=KSM]")).toHaveCount(1);
    await page.getByLabel("Find a hospital by name or code").fill("chris");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/q=chris/);
    await expect(page.locator("#hospital-rows tr")).toHaveCount(1);
    await expect(page.locator("#hospital-rows tr").first()).toContainText("Chris Hani");
  });

  test("the registration form works as a plain post", async ({ page }) => {
    await page.goto("/hospitals");
    const code = uniqueCode("NOJS");
    await page.locator("#name").fill("Lira Regional Referral");
    await page.locator("#code").fill(code);
    await page.locator("#contact_email").fill("art@lira.example.org");
    await page.locator("#country").fill("XX");
    await page.getByRole("button", { name: "Register hospital" }).click();
    // Re-rendered by the server with the error and everything typed.
    await expect(page.locator("#country-error")).toContainText("ISO 3166-1");
    await expect(page.locator("#name")).toHaveValue("Lira Regional Referral");
    await expect(page.locator("#code")).toHaveValue(code);
    await page.locator("#country").fill("UG");
    await page.getByRole("button", { name: "Register hospital" }).click();
    await expect(page).toHaveURL(new RegExp(`created=${code}`));
    await expect(page.getByRole("status")).toContainText(`Hospital ${code} registered.`);
    await expect(page.locator(`#hospital-rows tr[data-code="${code}"]`)).toHaveCount(1);
  });
});

test("API docs page loads its assets from this server", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/api/docs");
  await expect(page.locator(".swagger-ui .info .title")).toContainText("HospitalLink API", { timeout: 15_000 });
  await expect(page.getByText("/api/v1/hospitals/{id}").first()).toBeVisible();
  expect(errors).toEqual([]);
});
