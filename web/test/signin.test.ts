import { describe, expect, test } from "vitest";
import { authorizeUrl, challengeOf, randomWord, signOutUrl } from "../src/signin";
import { claimsOf } from "../src/api";

const signIn = { domain: "acme-123.auth.us-east-1.amazoncognito.com", client_id: "client-1" };

describe("signing in with the authorization code and PKCE", () => {
  test("the challenge is RFC 7636's S256 of the verifier (its Appendix B example)", async () => {
    expect(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });

  test("verifiers and states are fresh, 43 URL-safe characters", () => {
    const a = randomWord();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomWord()).not.toBe(a);
  });

  test("the sign-in address asks for a code, names the client, the way back and the challenge", () => {
    const url = new URL(authorizeUrl(signIn, "https://d1.cloudfront.net/", "CHALLENGE", "STATE"));
    expect(url.origin + url.pathname).toBe("https://acme-123.auth.us-east-1.amazoncognito.com/oauth2/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "client-1",
      redirect_uri: "https://d1.cloudfront.net/",
      scope: "openid email",
      state: "STATE",
      code_challenge: "CHALLENGE",
      code_challenge_method: "S256",
    });
  });

  test("signing out comes back to the pages", () => {
    const url = new URL(signOutUrl(signIn, "https://d1.cloudfront.net/"));
    expect(url.pathname).toBe("/logout");
    expect(url.searchParams.get("logout_uri")).toBe("https://d1.cloudfront.net/");
    expect(url.searchParams.get("client_id")).toBe("client-1");
  });
});

describe("the claims the pages read", () => {
  const base64url = (text: string) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const token = (claims: object) => `h.${base64url(JSON.stringify(claims))}.s`;

  test("a Cognito ID token's custom attributes name the workspace and role", () => {
    expect(claimsOf(token({ "custom:workspace_id": "acme", "custom:role": "manager", email: "josé@example.com", exp: 5 }))).toEqual({
      workspace_id: "acme",
      role: "manager",
      email: "josé@example.com",
      exp: 5,
    });
  });

  test("the local stack's claims read the same", () => {
    expect(claimsOf(token({ workspace_id: "demo", role: "owner", exp: 5 }))?.workspace_id).toBe("demo");
  });

  test("a token without a known role or an expiry is no sign-in", () => {
    expect(claimsOf(token({ workspace_id: "demo", role: "root", exp: 5 }))).toBeNull();
    expect(claimsOf(token({ workspace_id: "demo", role: "owner" }))).toBeNull();
    expect(claimsOf("nonsense")).toBeNull();
  });
});
