// The review step: what will happen, in words and as a small chart; the
// dialect the file was read in, with a way to override it; the default
// country in force; the rows, paged and filtered by predicted status, each
// reason beside the cell it names; and fixing in place: a row's cells
// edited, or the row dropped, then validated again without a new upload.
// Changes go to the wizard as events (`change-options`, `correct-rows`);
// the rows are read here, page by page, from the API.

import { html, nothing, type PropertyValues } from "lit";
import type { Api, ImportView, Page, ReviewRow, RowStatus } from "../api";
import { LocalizedElement } from "../element";
import { DELIMITERS, ENCLOSURES, ENCODINGS, shares } from "../format";
import { t } from "../i18n";
import { base } from "../styles";
import { css } from "lit";

type Filter = "" | "error" | "imported" | "updated" | "skipped";
const PAGE = 25;

export class ReviewStep extends LocalizedElement {
  static properties = {
    api: { attribute: false },
    imp: { attribute: false },
    busy: { type: Boolean },
    filter: { state: true },
    rows: { state: true },
    cursors: { state: true },
    next: { state: true },
    editing: { state: true },
    loadError: { state: true },
  };
  static styles = [
    base,
    css`
      .chart {
        display: flex;
        height: 14px;
        border-radius: 7px;
        overflow: hidden;
        background: var(--ci-soft);
        margin: 0.5rem 0 0.25rem;
      }
      .chart span {
        display: block;
      }
      .legend {
        display: flex;
        gap: 1rem;
        flex-wrap: wrap;
        font-size: 0.9rem;
      }
      .swatch {
        display: inline-block;
        width: 0.8rem;
        height: 0.8rem;
        border-radius: 2px;
        margin-right: 0.3rem;
        vertical-align: -1px;
      }
      .tabs {
        display: flex;
        gap: 0.3rem;
        flex-wrap: wrap;
        margin: 0.5rem 0;
      }
      .tabs button[aria-pressed="true"] {
        background: var(--ci-accent);
        color: var(--ci-accent-text);
      }
      .tabs button[aria-pressed="false"] {
        background: #fff;
        color: var(--ci-accent);
      }
      td.bad {
        background: #fdf0f0;
      }
      td .issue {
        display: block;
        color: var(--ci-error);
        font-size: 0.85rem;
      }
      td .fixed {
        display: block;
        color: var(--ci-ok);
        font-size: 0.85rem;
      }
      tr.dropped td {
        color: var(--ci-muted);
        text-decoration: line-through;
      }
      tr.dropped td.actions {
        text-decoration: none;
      }
      .status-Error {
        color: var(--ci-error);
        font-weight: 600;
      }
      .status-Skipped {
        color: var(--ci-warn);
      }
      .status-Imported,
      .status-Updated {
        color: var(--ci-ok);
      }
      .scroll {
        overflow-x: auto;
      }
      td input {
        width: 100%;
        min-width: 8rem;
        box-sizing: border-box;
      }
      .dialect {
        display: flex;
        gap: 1rem;
        flex-wrap: wrap;
      }
    `,
  ];

  declare api: Api;
  declare imp: ImportView;
  declare busy: boolean;
  declare filter: Filter;
  declare rows: ReviewRow[] | null;
  /** The cursors of the pages before this one (for "previous"), and this one's. */
  declare cursors: (string | null)[];
  declare next: string | null;
  declare editing: { row: number; values: string[] } | null;
  declare loadError: string;

  constructor() {
    super();
    this.busy = false;
    this.filter = "";
    this.rows = null;
    this.cursors = [null];
    this.next = null;
    this.editing = null;
    this.loadError = "";
  }

  protected willUpdate(changed: PropertyValues<this>): void {
    // A new review (a new generation) starts the filter's pages again; the
    // errors first when there are any.
    const before = changed.get("imp") as ImportView | undefined;
    if (changed.has("imp") && this.imp.status === "review" && this.imp.review) {
      if (!before || before.review !== this.imp.review || before.corrections !== this.imp.corrections) {
        if (!before && this.imp.review.errors > 0) this.filter = "error";
        this.cursors = [null];
        this.editing = null;
        void this.load();
      }
    }
  }

  private async load(): Promise<void> {
    const cursor = this.cursors[this.cursors.length - 1];
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (this.filter) query.set("status", this.filter);
    if (cursor) query.set("cursor", cursor);
    try {
      const page = await this.api.get<Page<ReviewRow>>(`/v1/imports/${this.imp.id}/rows?${query}`);
      this.rows = page.items;
      this.next = page.cursor;
      this.loadError = "";
    } catch (e) {
      this.loadError = this.words(e);
    }
  }

  private setFilter(filter: Filter): void {
    this.filter = filter;
    this.cursors = [null];
    this.editing = null;
    void this.load();
  }

  private page(forward: boolean): void {
    if (forward && this.next) this.cursors = [...this.cursors, this.next];
    if (!forward && this.cursors.length > 1) this.cursors = this.cursors.slice(0, -1);
    void this.load();
  }

  private emit(name: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  private saveEdit(row: ReviewRow): void {
    if (!this.editing) return;
    const cells = this.editing.values
      .map((value, column) => ({ row: row.row, column, value }))
      .filter((c) => c.value !== (row.cells[c.column] ?? ""));
    this.editing = null;
    if (cells.length) this.emit("correct-rows", { cells });
  }

  private renderChart() {
    const r = this.imp.review!;
    const parts: [string, number, string][] = [
      [t("review.add"), r.to_add, "#1b6b35"],
      [t("review.update"), r.to_update, "#0b5cad"],
      [t("review.skip"), r.to_skip, "#a86b00"],
      [t("review.errors"), r.errors, "#a4161a"],
    ];
    const pct = shares(parts.map((p) => p[1]));
    return html`<figure style="margin:0">
      <div class="chart" role="img" aria-label=${t("review.chart") + ": " + parts.map((p) => `${p[0]} ${p[1]}`).join(", ")}>
        ${parts.map((p, i) => html`<span style="width:${pct[i]}%;background:${p[2]}"></span>`)}
      </div>
      <figcaption class="legend">
        ${parts.map((p) => html`<span><span class="swatch" style="background:${p[2]}"></span>${p[0]}: ${p[1].toLocaleString()}</span>`)}
      </figcaption>
    </figure>`;
  }

  private renderDialect() {
    const d = this.imp.dialect;
    if (!d) return nothing;
    const sheets = this.imp.sheets;
    if (sheets) {
      // A workbook is read from one sheet; its dialect is ours, not the file's.
      return html`<h3>${t("review.dialect")}</h3>
        <div class="dialect">
          <label>${t("review.sheet")}
            <select id="sheet" ?disabled=${this.busy}
              @change=${(e: Event) => this.emit("change-options", { sheet: (e.target as HTMLSelectElement).value })}>
              ${sheets.names.map((name) => html`<option value=${name} ?selected=${sheets.read === name}>${name}</option>`)}
            </select></label>
        </div>`;
    }
    const change = (member: string) => (e: Event) =>
      this.emit("change-options", { dialect: { [member]: (e.target as HTMLSelectElement).value } });
    return html`<h3>${t("review.dialect")}</h3>
      <p class="hint">${t("review.dialect.hint")}</p>
      <div class="dialect">
        <label>${t("review.delimiter")}
          <select id="delimiter" ?disabled=${this.busy} @change=${change("delimiter")}>
            ${DELIMITERS.map(([v, name]) => html`<option value=${v} ?selected=${d.delimiter === v}>${name}</option>`)}
          </select></label>
        <label>${t("review.encoding")}
          <select id="encoding" ?disabled=${this.busy} @change=${change("encoding")}>
            ${ENCODINGS.map((v) => html`<option value=${v} ?selected=${d.encoding === v}>${v}</option>`)}
          </select></label>
        <label>${t("review.enclosure")}
          <select id="enclosure" ?disabled=${this.busy} @change=${change("enclosure")}>
            ${ENCLOSURES.map(([v, name]) => html`<option value=${v} ?selected=${d.enclosure === v}>${name}</option>`)}
          </select></label>
      </div>`;
  }

  private renderRow(row: ReviewRow, headers: string[]) {
    const editing = this.editing?.row === row.row ? this.editing : null;
    const issuesAt = (column: number) => (row.issues ?? []).filter((i) => i.column === column);
    const loose = (row.issues ?? []).filter((i) => i.column === undefined || i.column === null);
    return html`<tr class=${row.dropped ? "dropped" : ""} data-row=${row.row}>
      <th scope="row">${row.row}</th>
      <td class="status-${row.status}">
        ${t(`status.${row.status}` as never)}
        ${row.dropped
          ? html`<span class="hint">${t("review.dropped")}</span>`
          : loose.map((i) => html`<span class="issue">${i.message}</span>`)}
      </td>
      ${headers.map((header, c) => {
        const bad = issuesAt(c);
        const fixed = row.corrected?.includes(c);
        return html`<td class=${bad.length ? "bad" : ""}>
          ${editing
            ? html`<input
                aria-label=${t("review.edit_cell", { column: header || `#${c + 1}`, row: row.row })}
                .value=${editing.values[c] ?? ""}
                @input=${(e: Event) => {
                  editing.values[c] = (e.target as HTMLInputElement).value;
                }}
                @keydown=${(e: KeyboardEvent) => {
                  if (e.key === "Enter") this.saveEdit(row);
                  if (e.key === "Escape") this.editing = null;
                }}
              />`
            : html`${row.cells[c] ?? ""}`}
          ${bad.map((i) => html`<span class="issue">${i.message}</span>`)}
          ${fixed ? html`<span class="fixed">${t("review.corrected")}</span>` : nothing}
        </td>`;
      })}
      <td class="actions">
        <div class="row">
          ${editing
            ? html`<button @click=${() => this.saveEdit(row)} ?disabled=${this.busy}>${t("review.save")}</button>
                <button class="secondary" @click=${() => (this.editing = null)}>${t("review.discard")}</button>`
            : row.dropped
              ? html`<button class="secondary" ?disabled=${this.busy} @click=${() => this.emit("correct-rows", { restore: [row.row] })}>
                  ${t("review.restore")}<span class="visually-hidden"> ${t("review.row")} ${row.row}</span>
                </button>`
              : html`<button
                    class="secondary"
                    ?disabled=${this.busy}
                    @click=${() => (this.editing = { row: row.row, values: headers.map((_, c) => row.cells[c] ?? "") })}
                  >
                    ${t("review.edit")}<span class="visually-hidden"> ${t("review.row")} ${row.row}</span>
                  </button>
                  <button class="secondary" ?disabled=${this.busy} @click=${() => this.emit("correct-rows", { drop: [row.row] })}>
                    ${t("review.drop")}<span class="visually-hidden"> ${t("review.row")} ${row.row}</span>
                  </button>`}
        </div>
      </td>
    </tr>`;
  }

  render() {
    const imp = this.imp;
    const r = imp.review;
    if (!r) return nothing;
    const headers = imp.headers ?? [];
    const country = imp.default_country?.code;
    const tabs: [Filter, string, number][] = [
      ["", t("review.all"), r.rows],
      ["error", t("review.errors"), r.errors],
      ["imported", t("review.add"), r.to_add],
      ["updated", t("review.update"), r.to_update],
      ["skipped", t("review.skip"), r.to_skip],
    ];
    return html`
      <h2>${t("review.title")}</h2>
      <p id="summary">
        ${t("review.summary", { rows: r.rows, add: r.to_add, update: r.to_update, skip: r.to_skip, errors: r.errors })}
      </p>
      ${this.renderChart()}
      <p class="hint">${country ? t("review.country", { country }) : t("review.no_country")}</p>
      ${this.renderDialect()}
      <h3>${t("review.rows")}</h3>
      <p aria-live="polite" class="hint">${this.busy ? t("review.checking") : ""}</p>
      <div class="tabs" role="group" aria-label=${t("review.rows")}>
        ${tabs.map(
          ([value, name, count]) =>
            html`<button aria-pressed=${this.filter === value ? "true" : "false"} data-filter=${value || "all"} @click=${() => this.setFilter(value)}>
              ${name} (${count.toLocaleString()})
            </button>`,
        )}
      </div>
      ${this.loadError ? html`<div class="alert" role="alert">${this.loadError}</div>` : nothing}
      <div class="scroll">
        <table id="rows">
          <caption class="visually-hidden">${t("review.rows")}</caption>
          <thead>
            <tr>
              <th scope="col">${t("review.row")}</th>
              <th scope="col">${t("review.status")}</th>
              ${headers.map((h, i) => html`<th scope="col">${h || `#${i + 1}`}</th>`)}
              <th scope="col"><span class="visually-hidden">${t("review.edit")}</span></th>
            </tr>
          </thead>
          <tbody>
            ${this.rows?.map((row) => this.renderRow(row, headers))}
          </tbody>
        </table>
      </div>
      ${this.rows && this.rows.length === 0 ? html`<p class="hint">${t("review.no_rows")}</p>` : nothing}
      <div class="row" style="margin-top:0.5rem">
        <button class="secondary" ?disabled=${this.cursors.length <= 1} @click=${() => this.page(false)}>${t("review.prev")}</button>
        <button class="secondary" ?disabled=${!this.next} @click=${() => this.page(true)}>${t("review.next")}</button>
      </div>
    `;
  }
}

customElements.define("ci-review-step", ReviewStep);

export type { RowStatus };
