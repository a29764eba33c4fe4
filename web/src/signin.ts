// Signing in where the pages are deployed: the pages' `config.json` (written
// by `contacts publish-pages`) names the API and the user pool's hosted
// sign-in page. The page sends the person there with the authorization
// code flow and PKCE (RFC 7636) — a browser can keep no client secret, so
// the code is bound to a one-time verifier only this tab knows — and trades
// the code back for the ID token the API's authorizer checks.
//
// Without `config.json` (the local stack) nothing here runs: the token
// arrives in the sign-in link `make run` prints.

/** What a deployment tells its pages. */
export interface PagesConfig {
  /** The API's base URL; the pages' own origin when absent. */
  api_base?: string;
  /** The hosted sign-in page; absent where tokens come otherwise. */
  sign_in?: { domain: string; client_id: string };
}

const PENDING_KEY = "contacts.sign-in";

/** The deployment's configuration, or `{}` where there is none. */
export async function loadConfig(): Promise<PagesConfig> {
  try {
    const answer = await fetch(new URL("config.json", document.baseURI), { cache: "no-cache" });
    if (!answer.ok) return {};
    const config = (await answer.json()) as PagesConfig;
    return typeof config === "object" && config !== null ? config : {};
  } catch {
    return {};
  }
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh random string of 32 bytes, base64url (43 characters). */
export function randomWord(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Where the person signs in. */
export function authorizeUrl(signIn: NonNullable<PagesConfig["sign_in"]>, redirectUri: string, challenge: string, state: string): string {
  const query = new URLSearchParams({
    response_type: "code",
    client_id: signIn.client_id,
    redirect_uri: redirectUri,
    scope: "openid email",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return `https://${signIn.domain}/oauth2/authorize?${query}`;
}

/** Where the person signs out, coming back to `returnTo`. */
export function signOutUrl(signIn: NonNullable<PagesConfig["sign_in"]>, returnTo: string): string {
  const query = new URLSearchParams({ client_id: signIn.client_id, logout_uri: returnTo });
  return `https://${signIn.domain}/logout?${query}`;
}

/** The address the sign-in page sends the person back to: the pages' root. */
export function redirectUri(): string {
  return new URL(".", location.href).href.split("#")[0].split("?")[0];
}

/** Sends the person to the sign-in page, remembering the verifier and state. */
export async function startSignIn(signIn: NonNullable<PagesConfig["sign_in"]>): Promise<void> {
  const verifier = randomWord();
  const state = randomWord();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  location.assign(authorizeUrl(signIn, redirectUri(), await challengeOf(verifier), state));
}

/** Why coming back from the sign-in page gave no token. */
export class SignInError extends Error {}

/**
 * Back from the sign-in page (`?code=…&state=…`): the ID token, once the
 * code is traded with this tab's verifier; `null` when the address carries
 * no answer from the sign-in page. The answer is taken out of the address
 * bar either way, and a code whose state this tab did not send is refused.
 */
export async function finishSignIn(signIn: NonNullable<PagesConfig["sign_in"]>): Promise<string | null> {
  const query = new URLSearchParams(location.search);
  const code = query.get("code");
  const refused = query.get("error_description") ?? query.get("error");
  if (!code && !refused) return null;
  history.replaceState(null, "", location.pathname + location.hash);
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (refused) throw new SignInError(refused);
  const { verifier, state } = pending ? (JSON.parse(pending) as { verifier: string; state: string }) : { verifier: "", state: "" };
  if (!verifier || query.get("state") !== state) throw new SignInError("the sign-in answer does not belong to this tab");
  const answer = await fetch(`https://${signIn.domain}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: signIn.client_id,
      code: code ?? "",
      redirect_uri: redirectUri(),
      code_verifier: verifier,
    }),
  });
  const tokens = (await answer.json().catch(() => ({}))) as { id_token?: string; error?: string };
  if (!answer.ok || !tokens.id_token) throw new SignInError(tokens.error ?? `the sign-in page answered ${answer.status}`);
  return tokens.id_token;
}
