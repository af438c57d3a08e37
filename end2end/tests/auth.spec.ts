import { test, expect, type Page } from "@playwright/test";
import { E2E_PASSWORD, e2eAccount, hydrated, latestCodeFor, totp, watchErrors } from "./helpers";

/** Enrols TOTP on first sign-in, signs out, and signs in again with the next code. */
async function totpJourney(page: Page, email: string, js: boolean) {
  await page.goto("/login");
  if (js) await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong password for sure");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("email or password is not correct");
  await expect(page.getByLabel("Email")).toHaveValue(email);
  // Every form answer is a new page: wait for it to hydrate before typing.
  if (js) await hydrated(page);
  await page.getByLabel("Password").fill(E2E_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();

  // Admins enrol before anything else: the QR code is server-rendered SVG.
  await expect(page).toHaveURL(/\/account\/mfa$/);
  await expect(page.locator("svg").first()).toBeVisible();
  if (js) await hydrated(page);
  const secret = (await page.locator("#totp-secret").textContent())!.trim();
  await page.getByLabel("Code from the app").fill("000000");
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  await expect(page.locator("#code-error")).toContainText("does not match");
  if (js) await hydrated(page);
  const now = Date.now() / 1000;
  await page.getByLabel("Code from the app").fill(totp(secret, now));
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  await expect(page.locator("#recovery-codes li")).toHaveCount(10);
  await page.getByRole("link", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/hospitals$/);
  await expect(page.locator("#signed-in-as")).toContainText("platform admin");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto("/login");
  if (js) await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(E2E_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/mfa$/);
  if (js) await hydrated(page);
  // The enrolment code's step is spent; the next step's code is accepted.
  await page.getByLabel("Code").fill(totp(secret, now + 30));
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/hospitals$/);
  await expect(page.locator("#signed-in-as")).toBeVisible();
}

/** Asks for a code, reads it from the development outbox, signs in. */
async function otpJourney(page: Page, baseURL: string, field: "Email" | "Phone number", address: string, to: string, firstName: string) {
  await page.goto("/portal/login");
  await page.getByLabel(field).fill(address);
  await page.getByRole("button", { name: "Send me a code" }).click();
  await expect(page).toHaveURL(/\/portal\/login\/code$/);
  await page.getByLabel("Code").fill("12345");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#code-error")).toContainText("6 digits");
  const code = await latestCodeFor(baseURL, to);
  await page.getByLabel("Code").fill(code);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.locator("#greeting")).toHaveText(`Hello, ${firstName}.`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/portal");
  await expect(page.getByRole("link", { name: "Sign in with a code" })).toBeVisible();
}

test.describe("hydrated", () => {
  test("an admin enrols TOTP and signs in with it", async ({ page }, info) => {
    const errors = watchErrors(page);
    await totpJourney(page, e2eAccount(info.project.name, "totp-js"), true);
    // Failed sign-in attempts answer 401/400; the browser notes those responses.
    expect(errors.filter((e) => !e.includes("status of 40"))).toEqual([]);
  });

  test("a patient signs in with a code", async ({ page, baseURL }, info) => {
    if (info.project.name === "tablet") {
      await otpJourney(page, baseURL!, "Email", "amina.odhiambo@example.org", "amina.odhiambo@example.org", "Amina");
    } else {
      await otpJourney(page, baseURL!, "Phone number", "+254 700 100 002", "+254700100002", "Joseph");
    }
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("an admin enrols TOTP and signs in with it", async ({ page }, info) => {
    await totpJourney(page, e2eAccount(info.project.name, "totp-nojs"), false);
  });

  test("a patient signs in with a code", async ({ page, baseURL }, info) => {
    if (info.project.name === "tablet") {
      await otpJourney(page, baseURL!, "Phone number", "+254700100001", "+254700100001", "Amina");
    } else {
      await otpJourney(page, baseURL!, "Email", "Lindiwe.Dlamini@example.org", "lindiwe.dlamini@example.org", "Lindiwe");
    }
  });
});
