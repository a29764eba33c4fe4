// <contacts-app>: the workspace's pages around the wizard — import,
// history, contacts, settings, notifications — for one signed-in person.
//
// Sign-in: where the deployment's `config.json` names a hosted sign-in page
// (Cognito's, on AWS), "Sign in" goes there and comes back with a code the
// page trades for the ID token (signin.ts); on the local stack the page is
// opened with `#token=<jwt>` (the link `make run` prints). Either way the
// token is kept for the tab's life (sessionStorage) and kept out of the
// address bar. What the token's role may not do is not offered (an agent
// sees no import); the API's answer is still the rule.

import { html, nothing } from "lit";
import { Api, claimsOf, type Claims } from "./api";
import { LocalizedElement } from "./element";
import { LANG_NAMES, LANGS, lang, setLang, t, type Key, type Lang } from "./i18n";
import { finishSignIn, loadConfig, signOutUrl, startSignIn, type PagesConfig } from "./signin";
import { base } from "./styles";
import "./wizard/contact-import";
import "./pages/history";
import "./pages/contacts";
import "./pages/settings";
import "./pages/notifications";

type PageName = "import" | "history" | "contacts" | "settings" | "notifications";
const TOKEN_KEY = "contacts.token";

export class ContactsApp extends LocalizedElement {
  static properties = {
    apiBase: { attribute: "api-base" },
    token: { state: true },
    page: { state: true },
    ended: { state: true },
    config: { state: true },
    problem: { state: true },
  };
  static styles = [base];

  declare apiBase: string;
  declare token: string;
  declare page: PageName;
  declare ended: boolean;
  /** The deployment's configuration; `null` until read. */
  declare config: PagesConfig | null;
  declare problem: string;

  constructor() {
    super();
    this.apiBase = "";
    this.token = "";
    this.page = "import";
    this.ended = false;
    this.config = null;
    this.problem = "";
  }

  connectedCallback(): void {
    super.connectedCallback();
    const hash = new URLSearchParams(location.hash.slice(1));
    const fromLink = hash.get("token");
    if (fromLink) {
      sessionStorage.setItem(TOKEN_KEY, fromLink);
      history.replaceState(null, "", location.pathname + location.search);
    }
    this.signedIn(sessionStorage.getItem(TOKEN_KEY) ?? "");
    this.addEventListener("session-ended", () => (this.ended = true));
    void this.configure();
  }

  /** Reads the deployment's configuration and, back from its sign-in
   * page, trades the code for the token. */
  private async configure(): Promise<void> {
    const config = await loadConfig();
    if (config.api_base && !this.apiBase) this.apiBase = config.api_base;
    if (config.sign_in) {
      try {
        const token = await finishSignIn(config.sign_in);
        if (token) {
          sessionStorage.setItem(TOKEN_KEY, token);
          this.signedIn(token);
        }
      } catch (e) {
        this.problem = t("app.sign_in_failed", { reason: e instanceof Error ? e.message : String(e) });
      }
    }
    this.config = config;
  }

  private signedIn(token: string): void {
    this.token = token;
    const claims = this.claims;
    this.ended = !!claims && claims.exp * 1000 < Date.now();
    if (claims?.role === "agent") this.page = "contacts";
  }

  private get claims(): Claims | null {
    return this.token ? claimsOf(this.token) : null;
  }

  private get api(): Api {
    return new Api(this.apiBase || location.origin, this.token);
  }

  private signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    this.token = "";
    this.ended = false;
    // The hosted page's session ends too, or "Sign in" would come straight
    // back as the same person.
    const signIn = this.config?.sign_in;
    if (signIn) location.assign(signOutUrl(signIn, location.href.split(/[?#]/)[0]));
  }

  private signIn(): void {
    const signIn = this.config?.sign_in;
    if (signIn) void startSignIn(signIn);
    else this.signOut();
  }

  render() {
    const claims = this.claims;
    const languages = html`<label>${t("app.language")}
      <select id="app-language" @change=${(e: Event) => setLang((e.target as HTMLSelectElement).value as Lang)}>
        ${LANGS.map((l) => html`<option value=${l} ?selected=${lang() === l}>${LANG_NAMES[l]}</option>`)}
      </select></label>`;
    const style = html`<style>
      header.top { display: flex; justify-content: space-between; align-items: center; flex-wrap: wrap; gap: 1rem;
        padding: 0.75rem 1.25rem; border-bottom: 1px solid var(--ci-line); background: #fff; }
      header.top h1 { font-size: 1.25rem; margin: 0; }
      nav ul { display: flex; gap: 0.25rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
      nav a { display: inline-block; padding: 0.4rem 0.8rem; border-radius: 6px; color: var(--ci-accent); text-decoration: none; }
      nav a[aria-current="page"] { background: var(--ci-accent); color: var(--ci-accent-text); }
      main { padding: 1.25rem; max-width: 1200px; margin: 0 auto; }
    </style>`;
    if (!claims || this.ended) {
      const hosted = !!this.config?.sign_in;
      const words = this.ended ? t("app.session_over") : hosted ? t("app.signed_out") : t("app.no_token");
      return html`${style}<header class="top"><h1>${t("app.title")}</h1>${languages}</header>
        <main>
          ${this.problem ? html`<div class="alert" role="alert" id="sign-in-problem">${this.problem}</div>` : nothing}
          <div class=${this.ended ? "alert" : "notice"} role=${this.ended ? "alert" : "status"} id="signed-out">${words}</div>
          ${this.ended || hosted ? html`<p><button id="sign-in" @click=${() => this.signIn()}>${t("app.sign_in")}</button></p>` : nothing}
        </main>`;
    }
    const manager = claims.role !== "agent";
    const pages: PageName[] = manager
      ? ["import", "history", "contacts", "settings", "notifications"]
      : ["contacts", "settings", "notifications"];
    const page = pages.includes(this.page) ? this.page : pages[0];
    const api = this.api;
    const body = {
      import: () => html`<contact-import api-base=${api.base} .token=${this.token} hide-language></contact-import>`,
      history: () => html`<ci-history .api=${api}></ci-history>`,
      contacts: () => html`<ci-contacts .api=${api} ?canManage=${manager}></ci-contacts>`,
      settings: () => html`<ci-settings .api=${api} ?canManage=${manager}></ci-settings>`,
      notifications: () => html`<ci-notifications .api=${api}></ci-notifications>`,
    }[page];
    return html`${style}
      <header class="top">
        <h1>${t("app.title")}</h1>
        <nav aria-label=${t("app.title")}>
          <ul>
            ${pages.map(
              (p) => html`<li><a href="#${p}" id="nav-${p}" aria-current=${p === page ? "page" : "false"}
                @click=${(e: Event) => { e.preventDefault(); this.page = p; }}>${t(`nav.${p}` as Key)}</a></li>`,
            )}
          </ul>
        </nav>
        <div class="row">
          <span class="hint" id="signed-in">${claims.email ? `${claims.email} · ` : ""}${t("app.signed_in_as", { ws: claims.workspace_id, role: t(`role.${claims.role}` as Key) })}</span>
          ${languages}
          <button class="secondary" @click=${() => this.signOut()}>${t("app.sign_out")}</button>
        </div>
      </header>
      <main>${body()}</main>`;
  }
}

customElements.define("contacts-app", ContactsApp);
