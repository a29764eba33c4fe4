// The HTTP API as the pages call it: JSON with the caller's bearer token,
// errors as `ApiError` (the API's code and plain-words message), the
// presigned upload with real progress, and file links as JSON (a page's
// script cannot read where a redirect points).

export interface ErrorBody {
  error: { code: string; message: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Upload {
  method: string;
  url: string;
  headers: Record<string, string>;
}

export interface MappingEntry {
  column: string;
  field: string | null;
  overwrite?: boolean;
  /** Why the service chose this column among several naming one field. */
  note?: string;
  /** For an unmapped column whose header is close to a field's name. */
  suggestion?: { field: string; why: string };
}

export interface Dialect {
  delimiter: string;
  enclosure: string;
  encoding: string;
}

export interface ReviewCounts {
  rows: number;
  to_add: number;
  to_update: number;
  to_skip: number;
  errors: number;
}

export interface MappingProblem {
  code: string;
  message: string;
  candidates: string[];
}

export interface RowCorrection {
  row: number;
  cells?: { column: number; value: string }[];
  dropped?: boolean;
}

export interface ImportOptions {
  purpose?: string;
  identifier?: string;
  tags?: string[];
  import_tag?: boolean;
  overwrite_tags?: boolean;
  group?: string | null;
  default_country?: string | null;
  dialect?: Partial<Dialect> | null;
  mapping?: MappingEntry[] | null;
  sheet?: string | null;
}

export type ImportStatus =
  | "awaiting_upload"
  | "validating"
  | "review"
  | "importing"
  | "completed"
  | "failed"
  | "expired"
  | "cancelled";

export interface ImportView {
  id: string;
  status: ImportStatus;
  file: { name: string; size_bytes: number };
  options: ImportOptions;
  dialect: Dialect | null;
  headers: string[] | null;
  /** A spreadsheet's sheets and the one read; null for delimited text. */
  sheets?: { names: string[]; read: string } | null;
  default_country: { code: string | null; from: string } | null;
  mapping: MappingEntry[] | null;
  review: ReviewCounts | null;
  problems: MappingProblem[];
  samples: string[][];
  corrections: RowCorrection[];
  progress: { rows_done: number; rows_total: number };
  result: { imported: number; updated: number; skipped: number; errors: number; available_until: string | null };
  error: string | null;
  expires_at: string | null;
  created_at: string;
  created_by: string | null;
  upload?: Upload;
}

export type RowStatus = "Imported" | "Updated" | "Skipped" | "Error";

export interface ReviewRow {
  row: number;
  status: RowStatus;
  cells: string[];
  issues?: { column?: number; message: string }[];
  corrected?: number[];
  dropped?: boolean;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export interface Claims {
  workspace_id: string;
  role: "owner" | "manager" | "agent";
  /** The person, when the token names one. */
  email?: string;
  exp: number;
}

/** The claims a token carries (read, not verified: the API verifies): the
 * local stack's (`workspace_id`, `role`) or a Cognito ID token's
 * (`custom:workspace_id`, `custom:role`). */
export function claimsOf(token: string): Claims | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const bytes = Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    const workspace = claims.workspace_id ?? claims["custom:workspace_id"];
    const role = claims.role ?? claims["custom:role"];
    if (typeof workspace !== "string" || !["owner", "manager", "agent"].includes(role) || typeof claims.exp !== "number") return null;
    return { workspace_id: workspace, role, exp: claims.exp, email: typeof claims.email === "string" ? claims.email : undefined };
  } catch {
    return null;
  }
}

export class Api {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  private url(path: string): string {
    return this.base.replace(/\/$/, "") + path;
  }

  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", "");
    }
    const text = await response.text();
    const json = text ? safeJson(text) : null;
    if (!response.ok) {
      const error = (json as ErrorBody | null)?.error;
      throw new ApiError(response.status, error?.code ?? "http_" + response.status, error?.message ?? text);
    }
    return json as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  /** A file's presigned link (error file, result file). */
  async fileLink(path: string): Promise<string> {
    const link = await this.get<{ url: string }>(path);
    return link.url;
  }

  /**
   * PUTs `file` to a presigned upload, reporting bytes sent. XHR rather
   * than fetch: only XHR reports an upload's progress.
   */
  upload(upload: Upload, file: Blob, onProgress: (sent: number, total: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(upload.method, upload.url);
      for (const [name, value] of Object.entries(upload.headers)) {
        // The browser sets Content-Length itself from the body.
        if (name.toLowerCase() !== "content-length") xhr.setRequestHeader(name, value);
      }
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () =>
        xhr.status >= 200 && xhr.status < 300
          ? resolve()
          : reject(new ApiError(xhr.status, "upload_refused", xhr.responseText.slice(0, 300)));
      xhr.onerror = () => reject(new ApiError(0, "network", ""));
      xhr.send(file);
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
