// Pure helpers the pages share: the file checks made before anything is
// sent, times left, the estimate of an import's end, and the words of
// options. No DOM, so the unit tests run them directly.

import type { Key } from "./i18n";

/** The API's own limit: 20 MiB (413 above it). */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
export const FILE_TYPES = [".csv", ".tsv", ".txt", ".xlsx", ".xls", ".ods"];

/** Why a chosen file cannot be sent, as a message key and its values; null when it can. */
export function fileProblem(file: { name: string; size: number }): { key: Key; params: Record<string, string> } | null {
  const name = file.name;
  const lower = name.toLowerCase().trim();
  if (!FILE_TYPES.some((ext) => lower.endsWith(ext))) return { key: "upload.bad_type", params: { name } };
  if (file.size === 0) return { key: "upload.empty", params: { name } };
  if (file.size > MAX_FILE_BYTES) return { key: "upload.too_large", params: { name, size: bytesWords(file.size) } };
  return null;
}

/** 1.5 MB, 820 KB, 12 bytes. */
export function bytesWords(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** Seconds as m:ss (or h:mm:ss); never negative. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** Seconds until `iso` from `now` (milliseconds). */
export function secondsUntil(iso: string | null, now: number): number {
  if (!iso) return 0;
  return Math.max(0, (Date.parse(iso) - now) / 1000);
}

/**
 * Seconds an import still needs, at the pace seen since it started: null
 * until there is a pace to go by.
 */
export function secondsLeft(done: number, total: number, elapsedSeconds: number): number | null {
  if (done <= 0 || total <= 0 || elapsedSeconds <= 0) return null;
  if (done >= total) return 0;
  return ((total - done) * elapsedSeconds) / done;
}

/** Tags typed in one box, separated by commas: trimmed, none empty, each once. */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  for (const tag of text.split(",").map((t) => t.trim())) if (tag) seen.add(tag);
  return [...seen];
}

/** The share of each count of a review, in percent, for its bar chart. */
export function shares(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total === 0 ? 0 : (100 * c) / total));
}

/** The contact fields a column may fill, as the API names them. */
export const CONTACT_FIELDS = [
  "first_name",
  "last_name",
  "phone",
  "email",
  "country",
  "language",
  "assignee",
  "tags",
  "contact_id",
] as const;

/** The names of the delimiters and encodings the API speaks. */
export const DELIMITERS: [string, string][] = [
  [",", ", (comma)"],
  [";", "; (semicolon)"],
  ["|", "| (pipe)"],
  ["\t", "tab"],
];
export const ENCODINGS = ["utf-8", "windows-1252", "macintosh", "utf-16le", "utf-16be"];
export const ENCLOSURES: [string, string][] = [
  ['"', '" (double)'],
  ["'", "' (single)"],
  ["none", "none"],
];
