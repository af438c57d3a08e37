import { test, expect, type Page, type Browser } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as http from "node:http";
import * as zlib from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import { watchErrors, latestCodeFor, signIn, openChart, breakGlass } from "./helpers";

// The portal is built for a basic phone: every test here runs at 320 px wide.
test.use({ viewport: { width: 320, height: 640 }, hasTouch: true });

const AMINA_PHONE = "+254700100001";

/** Staff of two hospitals look at Amina: Mbarara opens her chart; Soweto breaks the glass. */
async function staffLook(browser: Browser) {
  // Plain pages: what matters here is that they read her record.
  const context = await browser.newContext({ viewport: { width: 820, height: 1180 }, javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, "clinician.mbr@hospitallink.example");
  await openChart(page, "MBR-0001001");
  await page.getByRole("button", { name: "Sign out" }).click();
  await breakGlass(page, false);
  await context.close();
}

/** The words of one language for a journey. */
interface Words {
  phone: string;
  send: string;
  code: string;
  signIn: string;
  title: string;
  home: string;
  showResult: string;
  resultStart: RegExp;
  access: string;
  clinicianAtMbarara: RegExp;
  reason: string;
  sharing: string;
  labs: string;
  oneMonth: string;
  share: string;
  shared: string;
  stop: string;
  stopped: string;
  stoppedOn: string;
  summary: string;
  download: string;
}

const SWAHILI: Words = {
  phone: "Namba ya simu",
  send: "Nitumie msimbo",
  code: "Msimbo",
  signIn: "Ingia",
  title: "Afya yangu",
  home: "Mwanzo",
  showResult: "Onyesha kipimo changu cha mwisho",
  resultStart: /^Kipimo chako cha mwisho cha kiwango cha virusi, tarehe \d{1,2} (Januari|Februari|Machi|Aprili|Mei|Juni|Julai|Agosti|Septemba|Oktoba|Novemba|Desemba) \d{4}/,
  access: "Nani ameangalia",
  clinicianAtMbarara: /Mtoa huduma · Mbarara Regional Hospital/,
  reason: "Sababu iliyotolewa: Collapsed in the waiting room",
  sharing: "Ninachoshiriki",
  labs: "Majibu ya maabara",
  oneMonth: "Mwezi mmoja",
  share: "Shiriki",
  shared: "Imeshirikiwa.",
  stop: "Acha kushiriki",
  stopped: "Imesimamishwa.",
  stoppedOn: "Ilisimamishwa tarehe",
  summary: "Muhtasari na kupakua",
  download: "Pakua rekodi yangu yote",
};

const ENGLISH: Words = {
  phone: "Phone number",
  send: "Send me a code",
  code: "Code",
  signIn: "Sign in",
  title: "My health",
  home: "Home",
  showResult: "Show my last test result",
  resultStart: /^Your last viral load test, on \d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}/,
  access: "Who looked",
  clinicianAtMbarara: /Clinician · Mbarara Regional Hospital/,
  reason: "Reason given: Collapsed in the waiting room",
  sharing: "My sharing",
  labs: "Lab results",
  oneMonth: "One month",
  share: "Share",
  shared: "Shared.",
  stop: "Stop sharing",
  stopped: "Stopped.",
  stoppedOn: "Stopped on",
  summary: "Summary and download",
  download: "Download my whole record",
};

/** The page fits a 320 px screen (nothing scrolls sideways) and, where the audit can run (it
 * is a script), an accessibility audit (axe, WCAG 2.1 A and AA rules) finds no violation. */
async function fitsThePhone(page: Page, audit = true) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(320);
  if (!audit) return;
  const report = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(report.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** The portal is plain HTML: with JavaScript on or off, its pages load no script and no wasm. */
function noScripts(page: Page): string[] {
  const loaded: string[] = [];
  page.on("request", (r) => {
    if (/\.(js|wasm)(\?|$)/.test(r.url())) loaded.push(r.url());
  });
  return loaded;
}

async function portalJourney(page: Page, baseURL: string, w: Words, js: boolean) {
  const scripts = noScripts(page);
  await page.goto("/portal/login");
  if (w === SWAHILI) {
    // Chosen on the sign-in page, remembered by the browser.
    await page.getByRole("button", { name: "Kiswahili" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "sw");
  }
  await page.getByLabel(w.phone).fill("+254 700 100 001");
  await page.getByRole("button", { name: w.send }).click();
  await expect(page).toHaveURL(/\/portal\/login\/code$/);
  await page.getByLabel(w.code).fill(await latestCodeFor(baseURL, AMINA_PHONE));
  await page.getByRole("button", { name: w.signIn, exact: true }).click();

  // Home: a discreet first screen; the result is one tap away, said plainly.
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page).toHaveTitle(new RegExp(w.title));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(w.home);
  await fitsThePhone(page, js);
  expect(await page.locator("main").innerText()).not.toMatch(/HIV|VVU|VIH|antiretrovir/i);
  await page.getByText(w.showResult).click();
  await expect(page.locator("#last-result")).toHaveText(w.resultStart);

  // My records: the charts, and the records of each hospital.
  await page.getByRole("link", { name: /records|Rekodi/ }).first().click();
  await expect(page.locator("#vl-chart svg circle").first()).toBeVisible();
  await fitsThePhone(page, js);

  // Who looked: Mbarara's clinician read her record; Soweto's emergency access stands out.
  await page.goto("/portal/access");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(w.access);
  await expect(page.locator("#access-log li", { hasText: w.clinicianAtMbarara }).first()).toBeVisible();
  const emergency = page.locator('#access-log li[data-break-glass="true"]', { hasText: w.reason });
  await expect(emergency.first()).toBeVisible();
  await fitsThePhone(page, js);

  // Sharing: Mbarara gets her labs for a month, in a few taps; then she ends it.
  await page.goto("/portal/sharing");
  await page.locator("#hospital_id").selectOption({ label: "Mbarara Regional Hospital" });
  await page.getByLabel(w.labs).check();
  await page.getByLabel(w.oneMonth).check();
  await page.getByRole("button", { name: w.share, exact: true }).click();
  await expect(page.getByRole("status")).toContainText(w.shared);
  const current = page.locator("#current-grants li", { hasText: "Mbarara Regional Hospital" });
  await expect(current).toContainText(w.labs);
  await fitsThePhone(page, js);
  await current.getByRole("button", { name: w.stop }).click();
  await expect(page.getByRole("status")).toContainText(w.stopped);
  await expect(page.locator("#current-grants li", { hasText: "Mbarara Regional Hospital" })).toHaveCount(0);
  await expect(page.locator("#past-grants li", { hasText: "Mbarara Regional Hospital" }).first()).toContainText(w.stoppedOn);

  // Her whole record as a FHIR file, validated by an independent FHIR R4 model library.
  await page.goto("/portal/summary");
  await expect(page.locator("#printable-summary")).toContainText("Amina");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: w.download }).click()]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portal-export-")), "export.json");
  await download.saveAs(file);
  const bundle = JSON.parse(fs.readFileSync(file, "utf8"));
  expect(bundle.resourceType).toBe("Bundle");
  const codes = bundle.entry.map((e: any) => e.resource.code?.coding?.[0]?.code);
  expect(codes).toContain("25836-8");
  const report = execFileSync(process.env.FHIR_PYTHON ?? "python3", ["scripts/fhir/validate.py", file], { encoding: "utf8" });
  expect(report).toMatch(/valid Bundle: .*Observation/);
  await fitsThePhone(page, js);
  expect(scripts).toEqual([]);
}

test.describe("with JavaScript on, in Kiswahili", () => {
  test("Amina reads her last result, sees who looked, shares and ends it, downloads her record", async ({ page, baseURL, browser }) => {
    await staffLook(browser);
    const errors = watchErrors(page);
    await portalJourney(page, baseURL!, SWAHILI, true);
    expect(errors).toEqual([]);
  });

  test("the staff pages' links lead into the portal as whole pages", async ({ page }) => {
    await page.goto("/");
    await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true", { timeout: 15_000 });
    await page.getByRole("link", { name: /Patient portal/ }).click();
    await expect(page).toHaveURL(/\/portal\/login$/);
    await expect(page.getByRole("button", { name: "Send me a code" })).toBeVisible();
  });
});

test.describe("without JavaScript, in English", () => {
  test.use({ javaScriptEnabled: false });

  test("the same journey is plain pages and form posts", async ({ page, baseURL, browser }) => {
    await staffLook(browser);
    await portalJourney(page, baseURL!, ENGLISH, false);
  });

});

/** The bytes a browser downloads for `path`, compressed as the server sends them (the page
 * with gzip, static files precompressed with brotli): the page, its stylesheet and its icon.
 * The portal names no script and no wasm at all. */
async function pageWeight(baseURL: string, pathname: string, cookie: string): Promise<number> {
  const raw = (url: string) =>
    new Promise<{ body: Buffer; encoding?: string }>((resolve, reject) => {
      http.get(url, { headers: { "accept-encoding": "br, gzip", cookie } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ body: Buffer.concat(chunks), encoding: res.headers["content-encoding"] }));
        res.on("error", reject);
      }).on("error", reject);
    });
  const html = await raw(new URL(pathname, baseURL).toString());
  expect(["br", "gzip"], `${pathname} is sent compressed`).toContain(html.encoding);
  const text = (html.encoding === "br" ? zlib.brotliDecompressSync(html.body) : zlib.gunzipSync(html.body)).toString("utf8");
  expect(text).not.toMatch(/\.wasm|<script[^>]+src=|modulepreload/);
  const assets = new Set([...text.matchAll(/<link[^>]+href="(\/[^"]+\.(?:css|svg))"/g)].map((m) => m[1]));
  expect([...assets].some((a) => a.endsWith(".css")), "the stylesheet").toBe(true);
  let total = html.body.length;
  for (const asset of assets) total += (await raw(new URL(asset, baseURL).toString())).body.length;
  return total;
}

test("a portal page weighs under 30 KB compressed, with no script or wasm to fetch", async ({ page, baseURL }) => {
  await page.goto("/portal/login");
  await page.getByLabel("Phone number").fill("+254 700 100 002");
  await page.getByRole("button", { name: "Send me a code" }).click();
  await page.getByLabel("Code").fill(await latestCodeFor(baseURL!, "+254700100002"));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/portal$/);
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  for (const pathname of ["/portal/login", "/portal", "/portal/records", "/portal/sharing", "/portal/access", "/portal/proxies"]) {
    const bytes = await pageWeight(baseURL!, pathname, cookie);
    console.log(`page weight ${pathname}: ${bytes} bytes (compressed; no script, no wasm)`);
    expect(bytes, pathname).toBeLessThan(30 * 1024);
  }
});

const ZAWADI_PHONE = "+255700111222";

/** Signs in to the portal with the code sent to `phone`. */
async function portalSignIn(page: Page, baseURL: string, phone: string) {
  await page.goto("/portal/login");
  await page.getByLabel("Phone number").fill(phone);
  await page.getByRole("button", { name: "Send me a code" }).click();
  await expect(page).toHaveURL(/\/portal\/login\/code$/);
  await page.getByLabel("Code").fill(await latestCodeFor(baseURL, phone.replace(/\s/g, "")));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

test("Amina's sister, as proxy for Amina's daughter, signs in with her own code and opens the child's record", async ({ page, baseURL, browser }) => {
  // Kisumu's clinician records the signed consent form and adds Amina as Neema's guardian.
  const staff = await browser.newContext({ viewport: { width: 820, height: 1180 } });
  const desk = await staff.newPage();
  await signIn(desk, "clinician.ksm@hospitallink.example");
  await openChart(desk, "KSM-0000004");
  await expect(desk.locator("#guardian-needs-form")).toBeVisible();
  await desk.locator("#attachment-kind").selectOption("consent_form");
  await desk.locator("#attachment-file").setInputFiles({
    name: "neema-guardian-consent.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.4\n% guardian consent\n%%EOF\n"),
  });
  await desk.locator("#attachment-submit").click();
  await expect(desk.locator("#attached")).toBeVisible();
  await desk.getByText("Add a guardian (signed consent form)").click();
  await desk.locator("#guardian-name").fill("Amina Odhiambo");
  await desk.locator("#guardian-relationship").selectOption("parent");
  await desk.locator("#guardian-phone").fill("+254 700 100 001");
  await desk.locator("#guardian-submit").click();
  await expect(desk.locator("#guardian-rows li", { hasText: "Amina Odhiambo" })).toContainText("active");
  await staff.close();

  // Amina opens her daughter's record from Family and asks her sister to help.
  await portalSignIn(page, baseURL!, "+254 700 100 001");
  await expect(page).toHaveURL(/\/portal$/);
  await page.getByRole("link", { name: "Family" }).click();
  await page.getByRole("button", { name: "Open Neema's record" }).click();
  await expect(page.locator("#acting-for")).toContainText("You are looking at Neema's record.");
  await page.getByRole("link", { name: "Family" }).click();
  await page.getByLabel("Their name").fill("Zawadi");
  await page.getByLabel("Who they are to you").selectOption("other");
  await page.getByLabel("Their phone number").fill("+255 700 111 222");
  await page.getByRole("button", { name: "Ask them" }).click();
  await expect(page.getByRole("status")).toContainText("We sent them a message");
  await expect(page.locator("#my-helpers li", { hasText: "Zawadi" })).toContainText("Waiting for them to accept");
  await fitsThePhone(page);

  // Zawadi signs in with her own code, accepts, and opens Neema's record: only Neema's.
  const aunt = await browser.newContext({ viewport: { width: 320, height: 640 }, hasTouch: true });
  const phone = await aunt.newPage();
  const scripts = noScripts(phone);
  await portalSignIn(phone, baseURL!, ZAWADI_PHONE);
  await expect(phone).toHaveURL(/\/portal\/proxies$/);
  await expect(phone.getByRole("navigation").getByRole("link")).toHaveText(["Family"]);
  const asked = phone.locator('#people-i-help li[data-status="pending"]', { hasText: "Neema" });
  await expect(asked).toContainText("Asked you to help");
  await fitsThePhone(phone);
  await asked.getByRole("button", { name: "Accept" }).click();
  await expect(phone.getByRole("status")).toContainText("You can now open their record");
  await phone.getByRole("button", { name: "Open Neema's record" }).click();
  await expect(phone).toHaveURL(/\/portal$/);
  await expect(phone.locator("#acting-for")).toContainText("You are looking at Neema's record.");
  // She may see, not share: the sharing and settings sections are not hers.
  const sections = phone.getByRole("navigation").getByRole("link");
  await expect(sections.filter({ hasText: "Records" })).toHaveCount(1);
  await expect(sections.filter({ hasText: /sharing|Settings/ })).toHaveCount(0);
  await phone.goto("/portal/sharing");
  await expect(phone.locator("main")).toContainText("This section is not open to you");
  await phone.getByRole("link", { name: /records/i }).first().click();
  await expect(phone.locator("#vl-chart svg circle").first()).toBeVisible();
  await fitsThePhone(phone);
  expect(scripts).toEqual([]);
  await aunt.close();

  // Amina sees, on Neema's record, that her sister looked.
  await page.goto("/portal/access");
  await expect(page.locator("#access-log li", { hasText: "Someone who acts for you" }).first()).toBeVisible();
});
