// The columns step: every column of the file with a few of its values, the
// field it fills (as the API mapped it), a selector to change it or skip
// it, and "keep existing values" per column. It changes nothing itself: it
// asks its wizard, through a `change-options` event carrying a JSON Merge
// Patch of the import's options, and the wizard re-validates.

import { html, nothing } from "lit";
import type { ImportView, MappingEntry } from "../api";
import { LocalizedElement } from "../element";
import { CONTACT_FIELDS } from "../format";
import { t, type Key } from "../i18n";
import { base } from "../styles";

export interface CustomFieldChoice {
  key: string;
  label: string;
}

export class ColumnsStep extends LocalizedElement {
  static properties = {
    imp: { attribute: false },
    customFields: { attribute: false },
    busy: { type: Boolean },
  };
  static styles = [base];

  declare imp: ImportView;
  declare customFields: CustomFieldChoice[];
  declare busy: boolean;

  constructor() {
    super();
    this.customFields = [];
    this.busy = false;
  }

  private change(patch: Record<string, unknown>): void {
    this.dispatchEvent(new CustomEvent("change-options", { detail: patch, bubbles: true, composed: true }));
  }

  private mapColumn(entry: MappingEntry, field: string | null, overwrite: boolean): void {
    this.change({ mapping: [{ column: entry.column, field, overwrite }] });
  }

  private fieldName(field: string): string {
    if (field.startsWith("custom:")) {
      const key = field.slice("custom:".length);
      return this.customFields.find((c) => c.key === key)?.label ?? key;
    }
    return t(`field.${field}` as Key);
  }

  /** A field the service thinks the column could fill: never applied
   * until the user says so. */
  private suggestion(entry: MappingEntry, suggestion: { field: string; why: string }) {
    const field = this.fieldName(suggestion.field);
    return html`<p class="hint suggestion" data-suggestion=${suggestion.field}>
      ${t("columns.suggested", { field })} — ${suggestion.why}
      <button
        type="button"
        class="secondary"
        ?disabled=${this.busy}
        @click=${() => this.mapColumn(entry, suggestion.field, entry.overwrite ?? true)}
      >
        ${t("columns.use", { field })}
      </button>
    </p>`;
  }

  render() {
    const imp = this.imp;
    const mapping = imp.mapping ?? [];
    const fields = [...CONTACT_FIELDS, ...this.customFields.map((c) => `custom:${c.key}`)];
    return html`
      <h2>${t("columns.title")}</h2>
      <p class="hint">${t("columns.hint")}</p>
      ${imp.problems.length
        ? html`<div class="alert" role="alert">
            <p><strong>${t("columns.problems")}</strong></p>
            <ul>
              ${imp.problems.map(
                (p) =>
                  html`<li>
                    ${p.message}
                    ${p.candidates.length
                      ? html`<br /><span class="hint">${t("columns.candidates", { list: p.candidates.join(", ") })}</span>`
                      : nothing}
                  </li>`,
              )}
            </ul>
          </div>`
        : nothing}
      <p aria-live="polite" class="hint">${this.busy ? t("columns.checking") : ""}</p>
      <table>
        <caption class="visually-hidden">${t("columns.title")}</caption>
        <thead>
          <tr>
            <th scope="col">${t("columns.column")}</th>
            <th scope="col">${t("columns.samples")}</th>
            <th scope="col">${t("columns.field")}</th>
            <th scope="col">${t("columns.keep")}</th>
          </tr>
        </thead>
        <tbody>
          ${mapping.map((entry, i) => {
            const id = `field-${i}`;
            const samples = imp.samples[i] ?? [];
            return html`<tr>
              <th scope="row"><label for=${id}>${entry.column || `#${i + 1}`}</label></th>
              <td class="hint">${samples.join(" · ")}</td>
              <td>
                <select
                  id=${id}
                  data-column=${entry.column}
                  ?disabled=${this.busy}
                  @change=${(e: Event) => {
                    const value = (e.target as HTMLSelectElement).value;
                    this.mapColumn(entry, value === "" ? null : value, entry.overwrite ?? true);
                  }}
                >
                  <option value="" ?selected=${entry.field === null}>${t("columns.skip")}</option>
                  ${fields.map(
                    (f) => html`<option value=${f} ?selected=${entry.field === f}>${this.fieldName(f)}</option>`,
                  )}
                </select>
                ${entry.note ? html`<br /><span class="hint">${entry.note}</span>` : nothing}
                ${entry.suggestion && entry.field === null ? this.suggestion(entry, entry.suggestion) : nothing}
              </td>
              <td>
                ${entry.field && entry.field !== "contact_id"
                  ? html`<label class="row">
                      <input
                        type="checkbox"
                        .checked=${entry.overwrite === false}
                        ?disabled=${this.busy}
                        @change=${(e: Event) =>
                          this.mapColumn(entry, entry.field, !(e.target as HTMLInputElement).checked)}
                      />
                      <span class="hint">${t("columns.keep.hint")}</span>
                    </label>`
                  : nothing}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      ${mapping.some((e) => e.field === "tags")
        ? html`<fieldset>
            <legend>${t("columns.tags_mode")}</legend>
            <label class="row"
              ><input
                type="radio"
                name="tags-mode"
                .checked=${!imp.options.overwrite_tags}
                ?disabled=${this.busy}
                @change=${() => this.change({ overwrite_tags: false })}
              />${t("columns.tags_add")}</label
            >
            <label class="row"
              ><input
                type="radio"
                name="tags-mode"
                .checked=${!!imp.options.overwrite_tags}
                ?disabled=${this.busy}
                @change=${() => this.change({ overwrite_tags: true })}
              />${t("columns.tags_replace")}</label
            >
          </fieldset>`
        : nothing}
    `;
  }
}

customElements.define("ci-columns-step", ColumnsStep);
