// <contacts-app>: the workspace's pages around the wizard — import,
// history, contacts, settings, notifications — for one signed-in person.
//
// Sign-in: the page is opened with `#token=<jwt>` (the link `make run`
// prints, or the deployment's sign-in redirect); the token is kept for the
// tab's life (sessionStorage) and taken out of the address bar. What the
// token's role may not do is not offered (an agent sees no import); the
// API's answer is still the rule.

import { html, nothing } from "lit";
import { Api, claimsOf, type Claims } from "./api";
import { LocalizedElement } from "./element";
import { LANG_NAMES, LANGS, lang, setLang, t, type Key, type Lang } from "./i18n";
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
  };
  static styles = [base];

  declare apiBase: string;
  declare token: string;
  declare page: PageName;
  declare ended: boolean;

  constructor() {
    super();
    this.apiBase = "";
    this.token = "";
    this.page = "import";
    this.ended = false;
  }

  connectedCallback(): void {
    super.connectedCallback();
    const hash = new URLSearchParams(location.hash.slice(1));
    const fromLink = hash.get("token");
    if (fromLink) {
      sessionStorage.setItem(TOKEN_KEY, fromLink);
      history.replaceState(null, "", location.pathname + location.search);
    }
    this.token = sessionStorage.getItem(TOKEN_KEY) ?? "";
    const claims = this.claims;
    if (claims && claims.exp * 1000 < Date.now()) this.ended = true;
    if (claims?.role === "agent") this.page = "contacts";
    this.addEventListener("session-ended", () => (this.ended = true));
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
      return html`${style}<header class="top"><h1>${t("app.title")}</h1>${languages}</header>
        <main>
          <div class=${this.ended ? "alert" : "notice"} role=${this.ended ? "alert" : "status"} id="signed-out">
            ${this.ended ? t("app.session_over") : t("app.no_token")}
          </div>
          ${this.ended ? html`<button @click=${() => this.signOut()}>${t("app.sign_in")}</button>` : nothing}
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
      contacts: () => html`<ci-contacts .api=${api}></ci-contacts>`,
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
          <span class="hint">${t("app.signed_in_as", { ws: claims.workspace_id, role: t(`role.${claims.role}` as Key) })}</span>
          ${languages}
          <button class="secondary" @click=${() => this.signOut()}>${t("app.sign_out")}</button>
        </div>
      </header>
      <main>${body()}</main>`;
  }
}

customElements.define("contacts-app", ContactsApp);
