// The workspace's contacts: listed (all, or by tag), looked up by phone or
// email, and one contact's details with its tags and the other contacts
// that share its phone or email (merge suggestions).

import { html, nothing } from "lit";
import type { Api } from "../api";
import { LocalizedElement } from "../element";
import { t } from "../i18n";
import { base } from "../styles";

interface Contact {
  id: string;
  first_name?: string | null;
  last_name?: string | null;
  phone?: string | null;
  email?: string | null;
  country?: string | null;
  language?: string | null;
  assignee?: string | null;
  tags: string[];
  groups: string[];
  custom_fields: Record<string, unknown>;
  blocked: boolean;
  created_at: string;
}

export class ContactsPage extends LocalizedElement {
  static properties = {
    api: { attribute: false },
    items: { state: true },
    cursor: { state: true },
    selected: { state: true },
    suggestions: { state: true },
    message: { state: true },
  };
  static styles = [base];

  declare api: Api;
  declare items: Contact[] | null;
  declare cursor: string | null;
  declare selected: Contact | null;
  declare suggestions: Contact[] | null;
  declare message: string;
  private query = "";

  constructor() {
    super();
    this.items = null;
    this.cursor = null;
    this.selected = null;
    this.suggestions = null;
    this.message = "";
  }

  connectedCallback(): void {
    super.connectedCallback();
    void this.load("", false);
  }

  private async load(query: string, more: boolean): Promise<void> {
    this.query = query;
    const params = new URLSearchParams(query);
    if (more && this.cursor) params.set("cursor", this.cursor);
    try {
      const page = await this.api.get<{ items: Contact[]; cursor?: string | null }>(`/v1/contacts?${params}`);
      this.items = more ? [...(this.items ?? []), ...page.items] : page.items;
      this.cursor = page.cursor ?? null;
      this.message = "";
    } catch (e) {
      this.message = this.words(e);
    }
  }

  private search(e: Event): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const tag = (form.elements.namedItem("tag") as HTMLInputElement).value.trim();
    const find = (form.elements.namedItem("find") as HTMLInputElement).value.trim();
    const params = new URLSearchParams();
    if (find) params.set(find.includes("@") ? "email" : "phone", find);
    else if (tag) params.set("tag", tag);
    void this.load(params.toString(), false);
  }

  private async open(contact: Contact): Promise<void> {
    this.selected = contact;
    this.suggestions = null;
    try {
      const list = await this.api.get<{ items: Contact[] }>(`/v1/contacts/${contact.id}/merge-suggestions`);
      this.suggestions = list.items;
    } catch (e) {
      this.message = this.words(e);
    }
  }

  private name(c: Contact): string {
    return [c.first_name, c.last_name].filter(Boolean).join(" ") || c.id;
  }

  private renderDetails(c: Contact) {
    const shared = (other: Contact) =>
      [other.phone && other.phone === c.phone ? other.phone : null, other.email && other.email === c.email ? other.email : null]
        .filter(Boolean)
        .join(", ");
    return html`<section class="panel" aria-labelledby="contact-name" id="contact">
      <h3 id="contact-name">${this.name(c)}</h3>
      <dl>
        ${(
          [
            ["contacts.phone", c.phone],
            ["contacts.email", c.email],
            ["field.country", c.country],
            ["field.language", c.language],
            ["field.assignee", c.assignee],
          ] as const
        ).map(([key, value]) => (value ? html`<dt>${t(key)}</dt><dd>${value}</dd>` : nothing))}
        ${Object.entries(c.custom_fields).map(([key, value]) => html`<dt>${key}</dt><dd>${String(value)}</dd>`)}
        <dt>${t("contacts.tags")}</dt>
        <dd>${c.tags.join(", ") || "—"}</dd>
      </dl>
      <h3>${t("contacts.suggestions")}</h3>
      ${this.suggestions === null
        ? html`<p>${t("common.loading")}</p>`
        : this.suggestions.length === 0
          ? html`<p class="hint">${t("contacts.no_suggestions")}</p>`
          : html`<ul>
              ${this.suggestions.map(
                (o) => html`<li>${this.name(o)} <span class="hint">(${t("contacts.shares", { value: shared(o) })})</span></li>`,
              )}
            </ul>`}
      <button class="secondary" @click=${() => (this.selected = null)}>${t("contacts.close")}</button>
    </section>`;
  }

  render() {
    return html`<h2>${t("contacts.title")}</h2>
      <form class="row" @submit=${(e: Event) => this.search(e)} role="search">
        <label>${t("contacts.find")} <input name="find" id="find" type="search" /></label>
        <label>${t("contacts.tag")} <input name="tag" id="tag" /></label>
        <button type="submit">${t("contacts.search")}</button>
        <button type="button" class="secondary" @click=${() => void this.load("", false)}>${t("contacts.clear")}</button>
      </form>
      ${this.message ? html`<div class="alert" role="alert">${this.message}</div>` : nothing}
      ${this.selected ? this.renderDetails(this.selected) : nothing}
      ${this.items === null
        ? html`<p>${t("common.loading")}</p>`
        : this.items.length === 0
          ? html`<p>${t("contacts.empty")}</p>`
          : html`<table id="contacts">
              <thead>
                <tr>
                  <th scope="col">${t("contacts.name")}</th>
                  <th scope="col">${t("contacts.phone")}</th>
                  <th scope="col">${t("contacts.email")}</th>
                  <th scope="col">${t("contacts.tags")}</th>
                </tr>
              </thead>
              <tbody>
                ${this.items.map(
                  (c) => html`<tr>
                    <td><button class="link" @click=${() => void this.open(c)}>${this.name(c)}</button></td>
                    <td>${c.phone ?? ""}</td>
                    <td>${c.email ?? ""}</td>
                    <td>${c.tags.join(", ")}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
      ${this.cursor ? html`<p><button class="secondary" @click=${() => void this.load(this.query, true)}>${t("contacts.more")}</button></p>` : nothing}`;
  }
}

customElements.define("ci-contacts", ContactsPage);
