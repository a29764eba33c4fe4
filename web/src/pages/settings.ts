// The workspace's settings: default country, time zone, the month's
// contact limit (with where this month's count stands), the monthly reset
// and the custom fields. Owners and managers change them
// (PATCH with the version read, so two people never overwrite each other
// unknowingly); agents read them.

import { html, nothing } from "lit";
import type { Api } from "../api";
import { ApiError } from "../api";
import { LocalizedElement } from "../element";
import { t } from "../i18n";
import { base } from "../styles";

/** `GET /v1/plan`: this month's count against the plan. */
interface Plan {
  month: string;
  time_zone: string;
  contact_limit: number | null;
  count: number;
  carried: number;
  created: number;
  remaining: number | null;
}

interface Settings {
  default_country: string | null;
  contact_limit: number | null;
  time_zone: string | null;
  monthly_reset: { mode: "off" | "all" | "tagged"; tag: string };
  custom_fields: { key: string; label: string; type: string }[];
}

export class SettingsPage extends LocalizedElement {
  static properties = {
    api: { attribute: false },
    canManage: { type: Boolean },
    settings: { state: true },
    plan: { state: true },
    message: { state: true },
    saved: { state: true },
  };
  static styles = [base];

  declare api: Api;
  declare canManage: boolean;
  declare settings: Settings | null;
  declare plan: Plan | null;
  declare message: string;
  declare saved: boolean;
  private etag = "";

  constructor() {
    super();
    this.canManage = false;
    this.settings = null;
    this.plan = null;
    this.message = "";
    this.saved = false;
  }

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const response = await fetch(this.api.base.replace(/\/$/, "") + "/v1/settings", {
        headers: { Authorization: `Bearer ${this.api.token}`, Accept: "application/json" },
      });
      if (!response.ok) throw new ApiError(response.status, "http_" + response.status, "");
      this.etag = response.headers.get("ETag") ?? "";
      this.settings = await response.json();
      this.plan = await this.api.get<Plan>("/v1/plan");
    } catch (e) {
      this.message = this.words(e);
    }
  }

  private async save(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const limit = value("contact_limit");
    const patch = {
      default_country: value("default_country").toUpperCase() || null,
      time_zone: value("time_zone") || null,
      contact_limit: limit === "" ? null : Number(limit),
      monthly_reset: { mode: value("reset_mode"), tag: value("reset_tag") || "Borrar" },
    };
    this.saved = false;
    try {
      await this.api.call("PATCH", "/v1/settings", patch, this.etag ? { "If-Match": this.etag } : {});
      this.message = "";
      this.saved = true;
      await this.load();
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        this.message = t("settings.changed");
        await this.load();
      } else {
        this.message = this.words(err);
      }
    }
  }

  private renderPlan(p: Plan) {
    const words = {
      month: p.month,
      zone: p.time_zone,
      carried: p.carried,
      created: p.created,
      count: p.count,
    };
    return html`<p class="notice" id="plan">
      ${t("settings.plan", words)}
      ${p.contact_limit === null || p.remaining === null
        ? t("settings.plan.unlimited")
        : t("settings.plan.remaining", { limit: p.contact_limit, remaining: p.remaining })}
    </p>`;
  }

  render() {
    const s = this.settings;
    if (!s) return html`<h2>${t("settings.title")}</h2>${this.message ? html`<div class="alert" role="alert">${this.message}</div>` : html`<p>${t("common.loading")}</p>`}`;
    const off = !this.canManage;
    return html`<h2>${t("settings.title")}</h2>
      ${off ? html`<p class="notice">${t("settings.read_only")}</p>` : nothing}
      ${this.message ? html`<div class="alert" role="alert">${this.message}</div>` : nothing}
      <form id="settings" @submit=${(e: Event) => void this.save(e)}>
        <div class="field">
          <label for="default_country">${t("settings.default_country")}</label>
          <input id="default_country" name="default_country" maxlength="2" size="4" .value=${s.default_country ?? ""} ?disabled=${off} />
        </div>
        <div class="field">
          <label for="time_zone">${t("settings.time_zone")}</label>
          <input id="time_zone" name="time_zone" size="24" placeholder=${this.plan?.time_zone ?? "UTC"}
            .value=${s.time_zone ?? ""} ?disabled=${off} aria-describedby="time_zone_hint" />
          <p class="hint" id="time_zone_hint">${t("settings.time_zone.hint")}</p>
        </div>
        <div class="field">
          <label for="contact_limit">${t("settings.contact_limit")}</label>
          <input id="contact_limit" name="contact_limit" type="number" min="0" placeholder=${t("settings.unlimited")}
            .value=${s.contact_limit === null ? "" : String(s.contact_limit)} ?disabled=${off} />
        </div>
        ${this.plan ? this.renderPlan(this.plan) : nothing}
        <div class="field">
          <label for="reset_mode">${t("settings.reset")}</label>
          <select id="reset_mode" name="reset_mode" ?disabled=${off}>
            <option value="off" ?selected=${s.monthly_reset.mode === "off"}>${t("settings.reset.off")}</option>
            <option value="all" ?selected=${s.monthly_reset.mode === "all"}>${t("settings.reset.all")}</option>
            <option value="tagged" ?selected=${s.monthly_reset.mode === "tagged"}>${t("settings.reset.tagged", { tag: s.monthly_reset.tag })}</option>
          </select>
          <input type="hidden" name="reset_tag" .value=${s.monthly_reset.tag} />
        </div>
        <h3>${t("settings.custom_fields")}</h3>
        ${s.custom_fields.length === 0
          ? html`<p class="hint">${t("settings.no_custom_fields")}</p>`
          : html`<ul>${s.custom_fields.map((f) => html`<li>${f.label} <span class="hint">(${f.key}, ${f.type})</span></li>`)}</ul>`}
        ${off ? nothing : html`<button type="submit">${t("settings.save")}</button>`}
        <span role="status" class="ok">${this.saved ? t("settings.saved") : ""}</span>
      </form>`;
  }
}

customElements.define("ci-settings", SettingsPage);
