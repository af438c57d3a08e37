import { request, type FullConfig } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { ADMIN_STATE, E2E_PASSWORD, totp } from "./tests/helpers";

/** Signs the registrar platform admin in once (enrolling its second factor) and keeps the
 * session for the tests that change the registry or read the outbox. */
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  const ctx = await request.newContext({ baseURL });
  const signIn = await ctx.post("/login", {
    form: { email: "e2e-registrar@hospitallink.example", password: E2E_PASSWORD },
  });
  if (!signIn.url().endsWith("/account/mfa")) throw new Error(`sign-in went to ${signIn.url()}`);
  const html = await signIn.text();
  const secret = html.match(/id="totp-secret"[^>]*>([A-Z2-7]+)</)?.[1];
  if (!secret) throw new Error("no TOTP secret on the enrolment page");
  const confirmed = await ctx.post("/account/mfa", { form: { code: totp(secret) } });
  if (!(await confirmed.text()).includes("recovery-codes")) throw new Error("enrolment failed");
  mkdirSync("end2end/.auth", { recursive: true });
  await ctx.storageState({ path: ADMIN_STATE });
  await ctx.dispose();
}
