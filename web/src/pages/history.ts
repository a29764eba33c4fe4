// The workspace's imports, newest first: status, counts, who and when, and the
// error and result files while they are kept.

import { html, nothing } from "lit";
import type { Api, ImportView } from "../api";
import { LocalizedElement } from "../element";
import { locale, t } from "../i18n";
import { base } from "../styles";

export class HistoryPage extends LocalizedElement {
  static properties = {
    api: { attribute: false },
    items: { state: true },
    cursor: { state: true },
    message: { state: true },
  };
  static styles = [base];

  declare api: Api;
  declare items: ImportView[] | null;
  declare cursor: string | null;
  declare message: string;

  constructor() {
    super();
    this.items = null;
    this.cursor = null;
    this.message = "";
  }

  connectedCallback(): void {
    super.connectedCallback();
    void this.load(false);
  }

  private async load(more: boolean): Promise<void> {
    try {
      const query = more && this.cursor ? `?cursor=${encodeURIComponent(this.cursor)}` : "";
      const page = await this.api.get<{ items: ImportView[]; cursor: string | null }>(`/v1/imports${query}`);
      this.items = more ? [...(this.items ?? []), ...page.items] : page.items;
      this.cursor = page.cursor;
    } catch (e) {
      this.message = this.words(e);
    }
  }

  private async open(id: string, what: "errors" | "result"): Promise<void> {
    try {
      window.location.assign(await this.api.fileLink(`/v1/imports/${id}/${what}`));
    } catch (e) {
      this.message = this.words(e);
    }
  }

  render() {
    const when = (iso: string) => new Date(iso).toLocaleString(locale());
    return html`<h2>${t("history.title")}</h2>
      ${this.message ? html`<div class="alert" role="alert">${this.message}</div>` : nothing}
      ${this.items === null
        ? html`<p>${t("common.loading")}</p>`
        : this.items.length === 0
          ? html`<p>${t("history.empty")}</p>`
          : html`<table id="imports">
              <thead>
                <tr>
                  <th scope="col">${t("history.file")}</th>
                  <th scope="col">${t("history.status")}</th>
                  <th scope="col">${t("history.counts")}</th>
                  <th scope="col">${t("history.when")}</th>
                  <th scope="col">${t("history.who")}</th>
                  <th scope="col">${t("history.files")}</th>
                </tr>
              </thead>
              <tbody>
                ${this.items.map((i) => {
                  const counts =
                    i.status === "completed"
                      ? t("progress.summary", {
                          imported: i.result.imported,
                          updated: i.result.updated,
                          skipped: i.result.skipped,
                          errors: i.result.errors,
                        })
                      : i.review
                        ? t("review.summary", {
                            rows: i.review.rows,
                            add: i.review.to_add,
                            update: i.review.to_update,
                            skip: i.review.to_skip,
                            errors: i.review.errors,
                          })
                        : (i.error ?? "");
                  const resultKept = i.status === "completed" && (!i.result.available_until || Date.parse(i.result.available_until) > Date.now());
                  return html`<tr data-import=${i.id}>
                    <td>${i.file.name}</td>
                    <td>${i.status.replace("_", " ")}</td>
                    <td>${counts}</td>
                    <td>${when(i.created_at)}</td>
                    <td>${i.created_by ?? "—"}</td>
                    <td>
                      <div class="row">
                        ${i.review && i.review.errors > 0 && i.status === "review"
                          ? html`<button class="link" @click=${() => void this.open(i.id, "errors")}>${t("history.errors")}<span class="visually-hidden"> ${i.file.name}</span></button>`
                          : nothing}
                        ${resultKept
                          ? html`<button class="link" @click=${() => void this.open(i.id, "result")}>${t("history.result")}<span class="visually-hidden"> ${i.file.name}</span></button>`
                          : nothing}
                      </div>
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>`}
      ${this.cursor ? html`<p><button class="secondary" @click=${() => void this.load(true)}>${t("history.more")}</button></p>` : nothing}`;
  }
}

customElements.define("ci-history", HistoryPage);
