// The workspace's contacts: searched (name, phone or email, tag, group),
// chosen on the page for a bulk action (tags, group, block, delete), and
// one contact's details with its groups, its activity and the other
// contacts that share its phone or email, each mergeable into it — and the
// merge undoable at once. Every rule stays the API's: the page offers what
// the caller's role may do and shows the API's own words when it refuses.

import { html, nothing } from "lit";
import type { Api } from "../api";
import { LocalizedElement } from "../element";
import { type Key, t } from "../i18n";
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

interface Group {
  id: string;
  name: string;
  size: number;
}

interface Activity {
  at: string;
  kind: string;
  by: { source?: string | null; import?: string | null; job?: string | null; user?: string | null };
  changes?: { field: string }[];
  tags_added?: string[];
  tags_removed?: string[];
}

interface BulkResult {
  items: { id: string; outcome: string }[];
}

/** The bulk actions the page offers, and whether each needs a tag or a group. */
const BULK_ACTIONS = [
  ["add_tags", "tag"],
  ["remove_tags", "tag"],
  ["add_to_group", "group"],
  ["remove_from_group", "group"],
  ["block", ""],
  ["unblock", ""],
  ["delete", ""],
] as const;

export class ContactsPage extends LocalizedElement {
  static properties = {
    api: { attribute: false },
    canManage: { type: Boolean },
    items: { state: true },
    cursor: { state: true },
    groups: { state: true },
    chosen: { state: true },
    selected: { state: true },
    suggestions: { state: true },
    activity: { state: true },
    merged: { state: true },
    message: { state: true },
    notice: { state: true },
  };
  static styles = [base];

  declare api: Api;
  declare canManage: boolean;
  declare items: Contact[] | null;
  declare cursor: string | null;
  declare groups: Group[];
  declare chosen: Set<string>;
  declare selected: Contact | null;
  declare suggestions: Contact[] | null;
  declare activity: Activity[] | null;
  /** The merge just made from this page, which it offers to undo. */
  declare merged: string | null;
  declare message: string;
  declare notice: string;
  private query = "";

  constructor() {
    super();
    this.canManage = false;
    this.items = null;
    this.cursor = null;
    this.groups = [];
    this.chosen = new Set();
    this.selected = null;
    this.suggestions = null;
    this.activity = null;
    this.merged = null;
    this.message = "";
    this.notice = "";
  }

  connectedCallback(): void {
    super.connectedCallback();
    void this.load("", false);
    void this.loadGroups();
  }

  private async loadGroups(): Promise<void> {
    try {
      this.groups = (await this.api.get<{ items: Group[] }>("/v1/groups?limit=100")).items;
    } catch (e) {
      this.message = this.words(e);
    }
  }

  private async load(query: string, more: boolean): Promise<void> {
    this.query = query;
    const params = new URLSearchParams(query);
    if (more && this.cursor) params.set("cursor", this.cursor);
    try {
      const page = await this.api.get<{ items: Contact[]; cursor?: string | null }>(`/v1/contacts?${params}`);
      this.items = more ? [...(this.items ?? []), ...page.items] : page.items;
      this.cursor = page.cursor ?? null;
      if (!more) this.chosen = new Set();
      this.message = "";
    } catch (e) {
      this.message = this.words(e);
    }
  }

  private search(e: Event): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const params = new URLSearchParams();
    const find = value("find");
    if (find) params.set(find.includes("@") ? "email" : "phone", find);
    for (const name of ["name", "tag", "group"]) if (value(name)) params.set(name, value(name));
    void this.load(params.toString(), false);
  }

  private async open(contact: Contact): Promise<void> {
    this.selected = contact;
    this.suggestions = null;
    this.activity = null;
    try {
      const [suggested, activity] = await Promise.all([
        this.api.get<{ items: Contact[] }>(`/v1/contacts/${contact.id}/merge-suggestions`),
        this.api.get<{ items: Activity[] }>(`/v1/contacts/${contact.id}/activity?limit=20`),
      ]);
      this.suggestions = suggested.items;
      this.activity = activity.items;
    } catch (e) {
      this.message = this.words(e);
    }
  }

  /** Reads the open contact and the listing again after a change. */
  private async refresh(id: string): Promise<void> {
    await this.load(this.query, false);
    void this.loadGroups();
    try {
      await this.open(await this.api.get<Contact>(`/v1/contacts/${id}`));
    } catch {
      this.selected = null;
    }
  }

  private async merge(into: Contact, other: Contact): Promise<void> {
    try {
      const merge = await this.api.call<{ id: string }>("POST", `/v1/contacts/${into.id}/merge`, { others: [other.id] });
      this.merged = merge.id;
      this.notice = t("contacts.merged", { name: this.name(other) });
      this.message = "";
      await this.refresh(into.id);
    } catch (e) {
      this.message = this.words(e);
    }
  }

  private async undo(merge: string, id: string): Promise<void> {
    try {
      const undone = await this.api.call<{ not_restored?: unknown[] }>("POST", `/v1/merges/${merge}/undo`);
      this.merged = null;
      this.notice = undone.not_restored?.length ? t("contacts.undone_partly") : t("contacts.undone");
      this.message = "";
      await this.refresh(id);
    } catch (e) {
      this.message = this.words(e);
    }
  }

  private choose(id: string, on: boolean): void {
    const next = new Set(this.chosen);
    if (on) next.add(id);
    else next.delete(id);
    this.chosen = next;
  }

  private async bulk(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const action = value("bulk-action");
    const needs = BULK_ACTIONS.find(([a]) => a === action)?.[1];
    const body: Record<string, unknown> = { action, ids: [...this.chosen] };
    if (needs === "tag") body.tags = [value("bulk-value")];
    if (needs === "group") body.group = value("bulk-value");
    const openGone = action === "delete" && this.selected !== null && this.chosen.has(this.selected.id);
    try {
      const result = await this.api.call<BulkResult>("POST", "/v1/bulk-actions", body);
      const count = (outcome: string) => result.items.filter((i) => i.outcome === outcome).length;
      this.notice = t("contacts.bulk_done", {
        changed: count("changed") + count("deleted"),
        unchanged: count("unchanged"),
        other: result.items.length - count("changed") - count("deleted") - count("unchanged"),
      });
      this.message = "";
      await this.load(this.query, false);
      void this.loadGroups();
      if (openGone) this.selected = null;
    } catch (err) {
      this.message = this.words(err);
    }
  }

  private name(c: Contact): string {
    return [c.first_name, c.last_name].filter(Boolean).join(" ") || c.id;
  }

  private renderActivity() {
    if (this.activity === null) return html`<p>${t("common.loading")}</p>`;
    return html`<ol id="activity">
      ${this.activity.map((a) => {
        const what = [
          ...(a.changes ?? []).map((c) => c.field),
          ...(a.tags_added ?? []).map((tag) => `+${tag}`),
          ...(a.tags_removed ?? []).map((tag) => `−${tag}`),
        ].join(", ");
        const by = a.by.import ? `${t("contacts.by_import")} ${a.by.import}` : a.by.job ? `${t("contacts.by_bulk")} ${a.by.job}` : (a.by.user ?? "API");
        const kind = `activity.${a.kind}` as Key;
        return html`<li><time datetime=${a.at}>${new Date(a.at).toLocaleString()}</time> — ${t(kind)}${what ? html` <span class="hint">(${what})</span>` : nothing}
          <span class="hint">· ${by}</span></li>`;
      })}
    </ol>`;
  }

  private renderDetails(c: Contact) {
    const shared = (other: Contact) =>
      [other.phone && other.phone === c.phone ? other.phone : null, other.email && other.email === c.email ? other.email : null]
        .filter(Boolean)
        .join(", ");
    return html`<section class="panel" aria-labelledby="contact-name" id="contact">
      <h3 id="contact-name">${this.name(c)}${c.blocked ? html` <span class="hint">(${t("contacts.blocked")})</span>` : nothing}</h3>
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
        <dt>${t("contacts.groups")}</dt>
        <dd>${c.groups.join(", ") || "—"}</dd>
      </dl>
      <h3>${t("contacts.suggestions")}</h3>
      ${this.suggestions === null
        ? html`<p>${t("common.loading")}</p>`
        : this.suggestions.length === 0
          ? html`<p class="hint">${t("contacts.no_suggestions")}</p>`
          : html`<ul id="suggestions">
              ${this.suggestions.map(
                (o) => html`<li>${this.name(o)} <span class="hint">(${t("contacts.shares", { value: shared(o) })})</span>
                  <button class="secondary" @click=${() => void this.merge(c, o)}>${t("contacts.merge", { name: this.name(o) })}</button></li>`,
              )}
            </ul>`}
      ${this.merged
        ? html`<p><button id="undo-merge" @click=${() => void this.undo(this.merged!, c.id)}>${t("contacts.undo")}</button></p>`
        : nothing}
      <h3>${t("contacts.activity")}</h3>
      ${this.renderActivity()}
      <button class="secondary" @click=${() => (this.selected = null)}>${t("contacts.close")}</button>
    </section>`;
  }

  private renderBulk() {
    const actions = BULK_ACTIONS.filter(([a]) => a !== "delete" || this.canManage);
    return html`<form class="row" id="bulk" @submit=${(e: Event) => void this.bulk(e)} aria-label=${t("contacts.bulk")}>
      <span>${t("contacts.chosen", { count: this.chosen.size })}</span>
      <label
        >${t("contacts.bulk_action")}
        <select name="bulk-action" id="bulk-action">
          ${actions.map(([a]) => html`<option value=${a}>${t(`bulk.${a}` as Key)}</option>`)}
        </select></label
      >
      <label
        >${t("contacts.bulk_value")} <input name="bulk-value" id="bulk-value" list="group-names" /></label
      >
      <datalist id="group-names">${this.groups.map((g) => html`<option value=${g.name}></option>`)}</datalist>
      <button type="submit" ?disabled=${this.chosen.size === 0}>${t("contacts.apply")}</button>
    </form>`;
  }

  render() {
    const all = this.items ?? [];
    const allChosen = all.length > 0 && all.every((c) => this.chosen.has(c.id));
    return html`<h2>${t("contacts.title")}</h2>
      <form class="row" @submit=${(e: Event) => this.search(e)} role="search">
        <label>${t("contacts.name")} <input name="name" id="name" type="search" /></label>
        <label>${t("contacts.find")} <input name="find" id="find" type="search" /></label>
        <label>${t("contacts.tag")} <input name="tag" id="tag" /></label>
        <label
          >${t("contacts.group")}
          <select name="group" id="group">
            <option value="">${t("contacts.any_group")}</option>
            ${this.groups.map((g) => html`<option value=${g.name}>${t("contacts.group_size", { name: g.name, size: g.size })}</option>`)}
          </select></label
        >
        <button type="submit">${t("contacts.search")}</button>
        <button type="reset" class="secondary" @click=${() => void this.load("", false)}>${t("contacts.clear")}</button>
      </form>
      ${this.message ? html`<div class="alert" role="alert">${this.message}</div>` : nothing}
      <p role="status" class="ok" id="contacts-status">${this.notice}</p>
      ${this.selected ? this.renderDetails(this.selected) : nothing}
      ${all.length > 0 ? this.renderBulk() : nothing}
      ${this.items === null
        ? html`<p>${t("common.loading")}</p>`
        : this.items.length === 0
          ? html`<p>${t("contacts.empty")}</p>`
          : html`<table id="contacts">
              <thead>
                <tr>
                  <th scope="col">
                    <input type="checkbox" aria-label=${t("contacts.choose_all")} .checked=${allChosen}
                      @change=${(e: Event) => (this.chosen = (e.target as HTMLInputElement).checked ? new Set(all.map((c) => c.id)) : new Set())} />
                  </th>
                  <th scope="col">${t("contacts.name")}</th>
                  <th scope="col">${t("contacts.phone")}</th>
                  <th scope="col">${t("contacts.email")}</th>
                  <th scope="col">${t("contacts.tags")}</th>
                  <th scope="col">${t("contacts.groups")}</th>
                </tr>
              </thead>
              <tbody>
                ${this.items.map(
                  (c) => html`<tr data-contact=${c.id}>
                    <td>
                      <input type="checkbox" aria-label=${t("contacts.choose", { name: this.name(c) })} .checked=${this.chosen.has(c.id)}
                        @change=${(e: Event) => this.choose(c.id, (e.target as HTMLInputElement).checked)} />
                    </td>
                    <td><button class="link" @click=${() => void this.open(c)}>${this.name(c)}</button>${c.blocked ? html` <span class="hint">(${t("contacts.blocked")})</span>` : nothing}</td>
                    <td>${c.phone ?? ""}</td>
                    <td>${c.email ?? ""}</td>
                    <td>${c.tags.join(", ")}</td>
                    <td>${c.groups.join(", ")}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
      ${this.cursor ? html`<p><button class="secondary" @click=${() => void this.load(this.query, true)}>${t("contacts.more")}</button></p>` : nothing}`;
  }
}

customElements.define("ci-contacts", ContactsPage);
