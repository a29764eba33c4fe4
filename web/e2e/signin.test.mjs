// Signing in where the pages are deployed: the deployment's config.json
// names the user pool's hosted sign-in page, and the pages go there with
// the authorization code and PKCE, come back, trade the code for the ID
// token and call the API with it; signing out ends the hosted session too.
//
// moto has no hosted sign-in page, so this test answers its two documented
// endpoints (/oauth2/authorize, /oauth2/token) in the browser itself and
// checks what the pages send them: the S256 challenge, then the verifier
// that proves it. The ID token it hands back is one the local stack's API
// accepts, so the pages' calls after sign-in are real.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { API, launch, newPage, seriousViolations, shot, token } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const SIGN_IN = { domain: "contacts-123.auth.us-east-1.amazoncognito.com", client_id: "pages-client" };

/** The deployment's configuration and its hosted sign-in page, as seen by `page`. */
async function deployed(page, idToken) {
  const seen = { authorize: null, token: null, logout: null };
  await page.route(`${API}/config.json`, (route) =>
    route.fulfill({ contentType: "application/json", body: JSON.stringify({ api_base: API, sign_in: SIGN_IN }) }),
  );
  await page.route(`https://${SIGN_IN.domain}/**`, async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    if (url.pathname === "/oauth2/authorize") {
      seen.authorize = Object.fromEntries(url.searchParams);
      const back = new URL(seen.authorize.redirect_uri);
      back.search = new URLSearchParams({ code: "code-1", state: seen.authorize.state }).toString();
      return route.fulfill({ status: 302, headers: { location: back.href } });
    }
    if (url.pathname === "/oauth2/token") {
      seen.token = Object.fromEntries(new URLSearchParams(request.postData() ?? ""));
      const proof = createHash("sha256").update(seen.token.code_verifier ?? "").digest("base64url");
      const good = seen.token.code === "code-1" && proof === seen.authorize?.code_challenge;
      return route.fulfill({
        status: good ? 200 : 400,
        contentType: "application/json",
        headers: { "access-control-allow-origin": new URL(API).origin },
        body: JSON.stringify(good ? { id_token: idToken, access_token: "a", token_type: "Bearer", expires_in: 3600 } : { error: "invalid_grant" }),
      });
    }
    if (url.pathname === "/logout") {
      seen.logout = Object.fromEntries(url.searchParams);
      return route.fulfill({ status: 302, headers: { location: seen.logout.logout_uri } });
    }
    return route.fulfill({ status: 404, body: "" });
  });
  return seen;
}

test("deployed pages sign in through the hosted sign-in page with PKCE, call the API with the ID token, and sign out there too", async () => {
  const ws = "browser-hosted";
  const page = await newPage(browser);
  const seen = await deployed(page, token(ws, "manager"));
  await page.goto(`${API}/`);
  await page.locator("#signed-out", { hasText: "Sign in to import contacts" }).waitFor();
  assert.deepEqual(await seriousViolations(page), [], "accessibility of the sign-in page");
  await shot(page, "0-sign-in");

  await page.locator("#sign-in").click();
  await page.locator("#signed-in", { hasText: `manager@${ws}.local` }).waitFor();
  assert.equal(seen.authorize.response_type, "code");
  assert.equal(seen.authorize.client_id, SIGN_IN.client_id);
  assert.equal(seen.authorize.redirect_uri, `${API}/`);
  assert.equal(seen.authorize.code_challenge_method, "S256");
  assert.match(seen.authorize.scope, /openid/);
  assert.equal(seen.token.grant_type, "authorization_code");
  assert.equal(seen.token.redirect_uri, `${API}/`);
  assert.equal(new URL(page.url()).search, "", "the code is taken out of the address bar");

  // The token is the one the API sees: the history loads for this workspace.
  await page.locator("#nav-history").click();
  await page.locator("ci-history", { hasText: "No imports yet." }).waitFor();

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("#signed-out", { hasText: "Sign in to import contacts" }).waitFor();
  assert.equal(seen.logout.client_id, SIGN_IN.client_id);
  assert.equal(seen.logout.logout_uri, `${API}/`);
  assert.deepEqual(page.errors, []);
});

test("a sign-in answer this tab did not ask for is refused, and said so", async () => {
  const page = await newPage(browser);
  await deployed(page, token("browser-hosted", "owner"));
  await page.goto(`${API}/?code=stolen&state=not-mine`);
  await page.locator("#sign-in-problem", { hasText: "does not belong to this tab" }).waitFor();
  assert.equal(new URL(page.url()).search, "");
  await page.locator("#sign-in").waitFor();
});
