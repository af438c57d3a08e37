import { test, expect } from "@playwright/test";
import { watchErrors, hydrated } from "./helpers";

test("landing page offers the two doors and hydrates cleanly", async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto("/");
  await expect(page).toHaveTitle("HospitalLink");
  await expect(page.getByRole("link", { name: /Staff sign-in/ })).toHaveAttribute("href", "/login");
  await expect(page.getByRole("link", { name: /Patient portal/ })).toHaveAttribute("href", "/portal/login");
  await hydrated(page);
  expect(errors).toEqual([]);
});

test("keyboard focus is visible", async ({ page }) => {
  await page.goto("/");
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    return getComputedStyle(el).outlineStyle;
  });
  expect(outline).not.toBe("none");
});

test("unknown pages answer 404", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
