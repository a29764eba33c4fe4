// The base of every element: it re-renders when the language changes, and
// turns an API error into words for people.

import { LitElement } from "lit";
import { ApiError } from "./api";
import { onLangChange, t } from "./i18n";

export class LocalizedElement extends LitElement {
  private unsubscribe?: () => void;

  connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = onLangChange(() => this.requestUpdate());
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
  }

  /** An error in words: the API's own message when it gave one. */
  protected words(error: unknown): string {
    if (error instanceof ApiError) {
      if (error.status === 0) return t("error.network");
      if (error.status === 401) {
        // The token is no longer accepted: whoever holds the session
        // (the app, or the page embedding the wizard) signs in again.
        this.dispatchEvent(new CustomEvent("session-ended", { bubbles: true, composed: true }));
        return t("app.session_over");
      }
      return error.message || t("error.generic", { message: error.code });
    }
    return t("error.generic", { message: String(error) });
  }
}
