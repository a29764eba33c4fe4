// The pages' words in Spanish, Portuguese and English. The browser's
// language chooses one unless the page or the person picks another; every
// element re-renders when the choice changes. A key missing in one language
// falls back to English, and the unit tests check that none is missing.
// The words themselves are in `messages/`, one file a language.

import { en, type Key, type Messages } from "./messages/en";
import { es } from "./messages/es";
import { pt } from "./messages/pt";

export type Lang = "es" | "pt" | "en";
export const LANGS: Lang[] = ["es", "pt", "en"];
export const LANG_NAMES: Record<Lang, string> = { es: "Español", pt: "Português", en: "English" };

export type { Key };

export const MESSAGES: Record<Lang, Messages> = { en, es, pt };

/** The first of the browser's languages the pages speak; English otherwise. */
export function detectLang(preferred: readonly string[]): Lang {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0];
    if ((LANGS as string[]).includes(base)) return base as Lang;
  }
  return "en";
}

let current: Lang = detectLang(typeof navigator === "undefined" ? [] : navigator.languages ?? []);
const listeners = new Set<() => void>();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  if (typeof document !== "undefined") document.documentElement.lang = next;
  for (const listener of listeners) listener();
}

/** Calls `listener` on every change of language; answers the unsubscribe. */
export function onLangChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The message `key` in the current language, with `{name}` filled in. */
export function t(key: Key, params: Record<string, string | number> = {}, in_: Lang = current): string {
  const text = MESSAGES[in_][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) =>
    name in params ? formatValue(params[name], in_) : `{${name}}`,
  );
}

function formatValue(value: string | number, in_: Lang): string {
  return typeof value === "number" ? value.toLocaleString(locale(in_)) : value;
}

export function locale(in_: Lang = current): string {
  return { es: "es", pt: "pt-BR", en: "en" }[in_];
}
