// <contact-import>: the import wizard, one custom element a CRM can put in
// its own page with an API base URL and a token it obtains for its user.
//
//   start → upload → (validating) → columns → review → importing → done
//
// The import's state is the API's: every step reads the import back
// (`GET /v1/imports/{id}`) rather than guessing, and a change made in the
// columns or the review (`PATCH` of the options, corrections of rows) is
// followed until the import is in review again. The element emits
// `import-completed` (detail: id and counts) and `import-failed` (detail:
// id and reason), and `session-ended` when the token is no longer taken.

import { html, nothing } from "lit";
import { Api, ApiError, type ImportOptions, type ImportView } from "../api";
import { LocalizedElement } from "../element";
import { clock, fileProblem, parseTags, secondsLeft, secondsUntil } from "../format";
import { LANG_NAMES, LANGS, lang, setLang, t, type Key, type Lang } from "../i18n";
import { base } from "../styles";
import type { CustomFieldChoice } from "./columns-step";
import "./columns-step";
import "./review-step";

type Step = "start" | "upload" | "columns" | "review" | "import";
const STEPS: Step[] = ["start", "upload", "columns", "review", "import"];
/** How often a validating or importing import is read again. */
const POLL_MS = 600;

interface Settings {
  default_country: string | null;
  custom_fields: CustomFieldChoice[];
}

export class ContactImport extends LocalizedElement {
  static properties = {
    apiBase: { attribute: "api-base" },
    token: {},
    lang: {},
    hideLanguage: { type: Boolean, attribute: "hide-language" },
    step: { state: true },
    imp: { state: true },
    options: { state: true },
    settings: { state: true },
    sent: { state: true },
    message: { state: true },
    busy: { state: true },
    now: { state: true },
    notice: { state: true },
  };
  static styles = [base];

  declare apiBase: string;
  declare token: string;
  declare lang: Lang | "";
  declare hideLanguage: boolean;
  declare step: Step;
  declare imp: ImportView | null;
  declare options: { purpose: string; identifier: string; default_country: string; tags: string; group: string; import_tag: boolean };
  declare settings: Settings | null;
  /** Upload progress: bytes sent and the file's size; null when not uploading. */
  declare sent: [number, number] | null;
  declare message: string;
  declare busy: boolean;
  declare now: number;
  declare notice: string;

  private ticker?: number;
  private importingSince = 0;

  constructor() {
    super();
    this.apiBase = "";
    this.token = "";
    this.lang = "";
    this.hideLanguage = false;
    this.step = "start";
    this.imp = null;
    this.options = { purpose: "add_and_update", identifier: "phone", default_country: "", tags: "", group: "", import_tag: true };
    this.settings = null;
    this.sent = null;
    this.message = "";
    this.busy = false;
    this.now = Date.now();
    this.notice = "";
  }

  private get api(): Api {
    return new Api(this.apiBase || location.origin, this.token);
  }

  connectedCallback(): void {
    super.connectedCallback();
    if (this.lang && (LANGS as string[]).includes(this.lang)) setLang(this.lang as Lang);
    this.ticker = window.setInterval(() => (this.now = Date.now()), 1000);
  }

  protected willUpdate(changed: Map<PropertyKey, unknown>): void {
    // The embedding page may hand the token over after the element starts.
    if (changed.has("token") && this.token && !this.settings) void this.loadSettings();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.ticker);
  }

  private async loadSettings(): Promise<void> {
    if (!this.token) return;
    try {
      const settings = await this.api.get<Settings>("/v1/settings");
      this.settings = settings;
      if (!this.options.default_country && settings.default_country) {
        this.options = { ...this.options, default_country: settings.default_country };
      }
    } catch (e) {
      this.message = this.words(e);
    }
  }

  // ---- the journey ----------------------------------------------------

  private startOptions(): ImportOptions {
    const o = this.options;
    return {
      purpose: o.purpose,
      identifier: o.identifier,
      default_country: o.default_country.trim().toUpperCase() || null,
      tags: parseTags(o.tags),
      group: o.group.trim() || null,
      import_tag: o.import_tag,
    };
  }

  private async chooseFile(file: File | undefined): Promise<void> {
    if (!file || this.busy) return;
    const problem = fileProblem(file);
    if (problem) {
      this.message = t(problem.key, problem.params);
      return;
    }
    this.message = "";
    this.busy = true;
    try {
      const created = await this.api.call<ImportView>("POST", "/v1/imports", {
        file_name: file.name,
        size_bytes: file.size,
        options: this.startOptions(),
      });
      this.imp = created;
      this.sent = [0, file.size];
      await this.api.upload(created.upload!, file, (sent, total) => (this.sent = [sent, total]));
      this.sent = null;
      const imp = await this.follow(created.id, ["awaiting_upload", "validating"]);
      this.arrive(imp);
    } catch (e) {
      this.sent = null;
      this.message = t("upload.failed", { reason: this.words(e) });
    } finally {
      this.busy = false;
    }
  }

  /** Reads the import until its status leaves `waiting`. */
  private async follow(id: string, waiting: string[]): Promise<ImportView> {
    for (;;) {
      const imp = await this.api.get<ImportView>(`/v1/imports/${id}`);
      this.imp = imp;
      if (!waiting.includes(imp.status)) return imp;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Goes to the step an import's status calls for. */
  private arrive(imp: ImportView): void {
    this.imp = imp;
    switch (imp.status) {
      case "review":
        if (this.step === "upload" || imp.problems.length) this.step = "columns";
        break;
      case "importing":
      case "completed":
        this.step = "import";
        break;
      case "failed":
        this.message = imp.error ?? "";
        if (this.step !== "import") this.step = "upload";
        break;
      default:
        break;
    }
  }

  private async changeOptions(patch: Record<string, unknown>): Promise<void> {
    await this.revalidate(() => this.api.call<ImportView>("PATCH", `/v1/imports/${this.imp!.id}`, { options: patch }));
  }

  private async correctRows(body: Record<string, unknown>): Promise<void> {
    await this.revalidate(() => this.api.call<ImportView>("POST", `/v1/imports/${this.imp!.id}/corrections`, body));
  }

  /** Makes a change that validates the import again, then follows it. */
  private async revalidate(change: () => Promise<ImportView>): Promise<void> {
    if (this.busy || !this.imp) return;
    this.busy = true;
    this.message = "";
    try {
      const changed = await change();
      this.imp = changed;
      const imp = await this.follow(changed.id, ["validating"]);
      this.arrive(imp);
    } catch (e) {
      this.message = this.words(e);
      if (e instanceof ApiError && e.status === 410) await this.reload();
    } finally {
      this.busy = false;
    }
  }

  private async reload(): Promise<void> {
    if (this.imp) this.imp = await this.api.get<ImportView>(`/v1/imports/${this.imp.id}`);
  }

  private async confirm(): Promise<void> {
    if (this.busy || !this.imp) return;
    this.busy = true;
    this.message = "";
    try {
      const imp = await this.api.call<ImportView>("POST", `/v1/imports/${this.imp.id}/confirm`);
      this.imp = imp;
      this.step = "import";
      this.importingSince = Date.now();
      const done = await this.follow(imp.id, ["importing"]);
      this.finish(done);
    } catch (e) {
      this.message = this.words(e);
      if (e instanceof ApiError && e.status === 410) await this.reload();
    } finally {
      this.busy = false;
    }
  }

  private finish(imp: ImportView): void {
    this.imp = imp;
    const detail = { id: imp.id, ...imp.result };
    if (imp.status === "completed") {
      this.dispatchEvent(new CustomEvent("import-completed", { detail, bubbles: true, composed: true }));
    } else {
      this.dispatchEvent(
        new CustomEvent("import-failed", { detail: { id: imp.id, reason: imp.error }, bubbles: true, composed: true }),
      );
    }
    void this.showNotification(imp.id);
  }

  /** The workspace's notification about this import, once it is written. */
  private async showNotification(id: string): Promise<void> {
    for (let tries = 0; tries < 10; tries++) {
      try {
        const page = await this.api.get<{ items: { import: string | null; message: string }[] }>("/v1/notifications");
        const found = page.items.find((n) => n.import === id);
        if (found) {
          this.notice = found.message;
          return;
        }
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private async cancel(): Promise<void> {
    if (!this.imp) return;
    try {
      await this.api.call("DELETE", `/v1/imports/${this.imp.id}`);
    } catch (e) {
      this.message = this.words(e);
      return;
    }
    this.restart();
  }

  private restart(): void {
    this.imp = null;
    this.step = "start";
    this.message = "";
    this.notice = "";
  }

  private async download(what: "errors" | "result"): Promise<void> {
    try {
      const url = await this.api.fileLink(`/v1/imports/${this.imp!.id}/${what}`);
      const a = document.createElement("a");
      a.href = url;
      a.rel = "noopener";
      this.renderRoot.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      this.message = this.words(e);
    }
  }

  // ---- what is shown --------------------------------------------------

  private renderSteps() {
    const at = STEPS.indexOf(this.step);
    return html`<nav aria-label=${t("wizard.steps")}>
      <ol class="steps">
        ${STEPS.map(
          (s, i) => html`<li class=${i === at ? "current" : i < at ? "done" : ""} aria-current=${i === at ? "step" : "false"}>
            ${i + 1}. ${t(`step.${s}` as Key)}
          </li>`,
        )}
      </ol>
    </nav>`;
  }

  private renderStart() {
    const o = this.options;
    const set = (patch: Partial<typeof o>) => (this.options = { ...o, ...patch });
    const purposes = ["add_and_update", "add_new", "update_existing", "add_all"];
    return html`<form
      @submit=${(e: Event) => {
        e.preventDefault();
        this.step = "upload";
      }}
    >
      <fieldset>
        <legend>${t("start.purpose")}</legend>
        ${purposes.map(
          (p) => html`<label class="choice">
            <input type="radio" name="purpose" value=${p} .checked=${o.purpose === p} @change=${() => set({ purpose: p })} />
            <span><strong>${t(`purpose.${p}` as Key)}</strong><br /><span class="hint">${t(`purpose.${p}.hint` as Key)}</span></span>
          </label>`,
        )}
      </fieldset>
      <div class="field">
        <label for="identifier">${t("start.identifier")}</label>
        <select id="identifier" aria-describedby="identifier-hint" @change=${(e: Event) => set({ identifier: (e.target as HTMLSelectElement).value })}>
          ${["phone", "email", "contact_id"].map(
            (i) => html`<option value=${i} ?selected=${o.identifier === i}>${t(`identifier.${i}` as Key)}</option>`,
          )}
        </select>
        <p class="hint" id="identifier-hint">${t("start.identifier.hint")}</p>
      </div>
      <div class="field">
        <label for="country">${t("start.country")}</label>
        <input id="country" maxlength="2" size="4" autocomplete="off" aria-describedby="country-hint" .value=${o.default_country}
          placeholder="EC" @input=${(e: Event) => set({ default_country: (e.target as HTMLInputElement).value })} />
        <p class="hint" id="country-hint">${t("start.country.hint")} ${o.default_country ? "" : t("start.country.none")}</p>
      </div>
      <div class="field">
        <label for="tags">${t("start.tags")}</label>
        <input id="tags" aria-describedby="tags-hint" .value=${o.tags} @input=${(e: Event) => set({ tags: (e.target as HTMLInputElement).value })} />
        <p class="hint" id="tags-hint">${t("start.tags.hint")}</p>
      </div>
      <div class="field">
        <label for="group">${t("start.group")}</label>
        <input id="group" aria-describedby="group-hint" .value=${o.group} @input=${(e: Event) => set({ group: (e.target as HTMLInputElement).value })} />
        <p class="hint" id="group-hint">${t("start.group.hint")}</p>
      </div>
      <div class="field">
        <label class="row">
          <input type="checkbox" id="import-tag" aria-describedby="import-tag-hint" .checked=${o.import_tag}
            @change=${(e: Event) => set({ import_tag: (e.target as HTMLInputElement).checked })} />
          ${t("start.import_tag")}
        </label>
        <p class="hint" id="import-tag-hint">${t("start.import_tag.hint")}</p>
      </div>
      <button type="submit" id="to-upload">${t("start.next")}</button>
    </form>`;
  }

  private renderUpload() {
    const validating = this.imp && ["awaiting_upload", "validating"].includes(this.imp.status) && !this.sent && this.busy;
    return html`
      <label
        class="drop"
        @dragover=${(e: DragEvent) => e.preventDefault()}
        @drop=${(e: DragEvent) => {
          e.preventDefault();
          void this.chooseFile(e.dataTransfer?.files[0]);
        }}
      >
        <span>${t("upload.drop")} <span class="pick">${t("upload.choose")}</span></span>
        <input
          type="file"
          id="file"
          accept=".csv,.tsv,.txt,.xlsx,.xls,.ods,text/csv,text/plain,text/tab-separated-values"
          ?disabled=${this.busy}
          @change=${(e: Event) => void this.chooseFile((e.target as HTMLInputElement).files?.[0])}
        />
        <span class="hint">${t("upload.rules")}</span>
      </label>
      ${this.sent
        ? html`<p id="upload-status">${t("upload.sending", { name: this.imp?.file.name ?? "" })}</p>
            <progress id="upload-progress" max=${this.sent[1]} value=${this.sent[0]} aria-label=${t("upload.sending", { name: this.imp?.file.name ?? "" })}></progress>`
        : nothing}
      ${validating ? html`<p id="validating" role="status">${t("upload.validating")}</p>` : nothing}
      <p><button class="secondary" ?disabled=${this.busy} @click=${() => (this.step = "start")}>${t("upload.back")}</button></p>
    `;
  }

  private renderColumns() {
    const imp = this.imp!;
    return html`<ci-columns-step
        .imp=${imp}
        .customFields=${this.settings?.custom_fields ?? []}
        ?busy=${this.busy}
        @change-options=${(e: CustomEvent) => void this.changeOptions(e.detail)}
      ></ci-columns-step>
      <p>
        <button id="to-review" ?disabled=${this.busy || imp.problems.length > 0 || !imp.review} @click=${() => (this.step = "review")}>
          ${t("columns.next")}
        </button>
      </p>`;
  }

  private renderReview() {
    const imp = this.imp!;
    const left = secondsUntil(imp.expires_at, this.now);
    const expired = imp.status === "expired" || (imp.status === "review" && left <= 0);
    const r = imp.review;
    const toImport = r ? r.to_add + r.to_update : 0;
    return html`
      ${expired
        ? html`<div class="alert" role="alert" id="expired">${t("review.expired")}
            <button class="secondary" @click=${() => this.restart()}>${t("progress.again")}</button></div>`
        : html`<p class="notice" id="countdown">${t("review.expires", { time: clock(left) })}</p>`}
      <ci-review-step
        .api=${this.api}
        .imp=${imp}
        ?busy=${this.busy}
        @change-options=${(e: CustomEvent) => void this.changeOptions(e.detail)}
        @correct-rows=${(e: CustomEvent) => void this.correctRows(e.detail)}
      ></ci-review-step>
      <div class="row actions">
        ${r && r.errors > 0
          ? html`<button class="secondary" id="errors-file" @click=${() => void this.download("errors")}>${t("review.errors_file")}</button>`
          : nothing}
        <button id="confirm" ?disabled=${this.busy || expired || toImport === 0 || imp.status !== "review"} @click=${() => void this.confirm()}>
          ${toImport ? t("review.confirm", { n: toImport }) : t("review.confirm_none")}
        </button>
        <button class="secondary" ?disabled=${this.busy || expired} @click=${() => void this.cancel()}>${t("review.cancel")}</button>
      </div>
    `;
  }

  private renderImport() {
    const imp = this.imp!;
    const { rows_done, rows_total } = imp.progress;
    if (imp.status === "importing") {
      const elapsed = this.importingSince ? (this.now - this.importingSince) / 1000 : 0;
      const eta = secondsLeft(rows_done, rows_total, elapsed);
      return html`<h2>${t("progress.title")}</h2>
        <progress id="import-progress" max=${rows_total || 1} value=${rows_done} aria-label=${t("progress.title")}></progress>
        <p role="status">${t("progress.rows", { done: rows_done, total: rows_total })}
          ${eta !== null ? html` · ${t("progress.eta", { time: clock(eta) })}` : nothing}</p>`;
    }
    if (imp.status === "completed") {
      const r = imp.result;
      return html`<h2 id="done">${t("progress.done")}</h2>
        <progress max="1" value="1" aria-label=${t("progress.done")}></progress>
        <p id="result-summary">${t("progress.summary", { imported: r.imported, updated: r.updated, skipped: r.skipped, errors: r.errors })}</p>
        ${this.notice ? html`<p class="notice" role="status" id="notification">${this.notice}</p>` : nothing}
        <div class="row">
          <button id="result-file" @click=${() => void this.download("result")}>${t("progress.result")}</button>
          <button class="secondary" @click=${() => this.restart()}>${t("progress.again")}</button>
        </div>`;
    }
    return html`<div class="alert" role="alert">${t("progress.failed", { reason: imp.error ?? imp.status })}</div>
      <button class="secondary" @click=${() => this.restart()}>${t("progress.again")}</button>`;
  }

  render() {
    const body = {
      start: () => this.renderStart(),
      upload: () => this.renderUpload(),
      columns: () => this.renderColumns(),
      review: () => this.renderReview(),
      import: () => this.renderImport(),
    }[this.step];
    return html`
      <style>
        .steps { display: flex; gap: 0.5rem; list-style: none; padding: 0; margin: 0 0 1rem; flex-wrap: wrap; }
        .steps li { padding: 0.25rem 0.7rem; border-radius: 999px; background: var(--ci-soft); color: var(--ci-muted); }
        .steps li.current { background: var(--ci-accent); color: var(--ci-accent-text); font-weight: 600; }
        .steps li.done { color: var(--ci-ok); }
        .drop { display: flex; flex-direction: column; gap: 0.4rem; align-items: center; border: 2px dashed #6b7480;
          border-radius: 10px; padding: 2rem 1rem; text-align: center; margin-bottom: 1rem; cursor: pointer; }
        .pick { color: var(--ci-accent); text-decoration: underline; }
        .choice { display: flex; gap: 0.5rem; align-items: flex-start; margin: 0.35rem 0; }
        .actions { margin-top: 1rem; }
        header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
      </style>
      <section class="panel" aria-labelledby="wizard-title">
        <header>
          <h2 id="wizard-title">${t("wizard.title")}</h2>
          ${this.hideLanguage
            ? nothing
            : html`<label>${t("app.language")}
                <select id="language" @change=${(e: Event) => setLang((e.target as HTMLSelectElement).value as Lang)}>
                  ${LANGS.map((l) => html`<option value=${l} ?selected=${lang() === l}>${LANG_NAMES[l]}</option>`)}
                </select></label>`}
        </header>
        ${this.renderSteps()}
        ${this.message ? html`<div class="alert" role="alert" id="message">${this.message}</div>` : nothing}
        ${body()}
      </section>
    `;
  }
}

customElements.define("contact-import", ContactImport);

declare global {
  interface HTMLElementTagNameMap {
    "contact-import": ContactImport;
  }
}
