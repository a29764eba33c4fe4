// The workspace's notifications, newest first, with the file each links to.

import { html, nothing } from "lit";
import type { Api } from "../api";
import { LocalizedElement } from "../element";
import { locale, t } from "../i18n";
import { base } from "../styles";

interface Note {
  id: string;
  kind: string;
  message: string;
  created_at: string;
  url: string | null;
}

export class NotificationsPage extends LocalizedElement {
  static properties = { api: { attribute: false }, items: { state: true }, message: { state: true } };
  static styles = [base];

  declare api: Api;
  declare items: Note[] | null;
  declare message: string;

  constructor() {
    super();
    this.items = null;
    this.message = "";
  }

  connectedCallback(): void {
    super.connectedCallback();
    this.api
      .get<{ items: Note[] }>("/v1/notifications")
      .then((page) => (this.items = page.items))
      .catch((e) => (this.message = this.words(e)));
  }

  render() {
    return html`<h2>${t("notifications.title")}</h2>
      ${this.message ? html`<div class="alert" role="alert">${this.message}</div>` : nothing}
      ${this.items === null
        ? html`<p>${t("common.loading")}</p>`
        : this.items.length === 0
          ? html`<p>${t("notifications.empty")}</p>`
          : html`<ul id="notifications">
              ${this.items.map(
                (n) => html`<li>
                  <p>${n.message}</p>
                  <p class="hint">${new Date(n.created_at).toLocaleString(locale())}
                    ${n.url ? html` · <a href=${n.url}>${t("notifications.open")}</a>` : nothing}</p>
                </li>`,
              )}
            </ul>`}`;
  }
}

customElements.define("ci-notifications", NotificationsPage);
