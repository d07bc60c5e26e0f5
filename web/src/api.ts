// The one way the app talks to kelu: same-origin JSON with the session cookie, the session's
// CSRF token on unsafe methods, an Idempotency-Key where the API asks for one, and every
// failure turned into an ApiError with the server's stable code (never raw JSON on screen).

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
  // Field-level validation messages (422 details.fields), keyed by field name.
  get fields(): Record<string, string> {
    const f = this.details.fields;
    return f && typeof f === 'object' ? (f as Record<string, string>) : {};
  }
}

export type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export interface ListPage<T> {
  items: T[];
  next_cursor: string | null;
  total?: number;
}

let csrfToken = '';
export function setCsrfToken(token: string | undefined) {
  csrfToken = token || '';
}

// Who is told when the session is gone (expired, signed out elsewhere): the session provider.
type SignedOutListener = (audience: 'tenant' | 'operator') => void;
let signedOut: SignedOutListener = () => {};
export function onSignedOut(listener: SignedOutListener) {
  signedOut = listener;
}

// Who asks for the password again when a change wants a recent proof (403
// reauthentication_required): the ReauthPrompt. Resolves true once the password is proved (the
// change is then sent again, once), false when the user cancels.
type Reauthenticator = () => Promise<boolean>;
let reauthenticate: Reauthenticator | null = null;
export function onReauthenticationRequired(r: Reauthenticator | null) {
  reauthenticate = r;
}

export function buildQuery(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(','));
    } else {
      params.set(key, String(value));
    }
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

interface Options {
  query?: Query;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
  proved?: boolean;  // sent again after the password was proved: not asked twice
}

async function toError(res: Response): Promise<ApiError> {
  let payload: unknown;
  try {
    payload = await res.json();
  } catch {
    payload = undefined;
  }
  const e = (payload as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })?.error;
  if (e?.code) return new ApiError(res.status, e.code, e.message || e.code, e.details || {});
  return new ApiError(res.status, res.status >= 500 ? 'internal_error' : 'bad_request', res.statusText);
}

export async function request<T>(method: string, path: string, opts: Options = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (opts.body instanceof Blob || opts.body instanceof FormData) {
    body = opts.body;
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path + buildQuery(opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', String(err));
  }
  if (!res.ok) {
    const error = await toError(res);
    if (res.status === 401 && !path.includes('/auth/login')) {
      signedOut(path.startsWith('/api/v1/operator/') ? 'operator' : 'tenant');
    }
    if (error.code === 'reauthentication_required' && reauthenticate && !opts.proved && (await reauthenticate())) {
      return request<T>(method, path, { ...opts, proved: true });
    }
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') || '';
  return (type.includes('json') ? res.json() : res.text()) as Promise<T>;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown, idempotencyKey?: string) =>
    request<T>('POST', path, { body, idempotencyKey }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  del: <T = void>(path: string) => request<T>('DELETE', path),
};

// An upload with progress (fetch cannot report it): the raw file as the body, its name and
// target in the query, as POST /api/v1/attachments and /imports take it.
export function upload<T>(path: string, file: File, query: Query, onProgress?: (percent: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path + buildQuery(query));
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onload = () => {
      let payload: unknown;
      try {
        payload = JSON.parse(xhr.responseText);
      } catch {
        payload = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(payload as T);
        return;
      }
      const e = (payload as { error?: { code: string; message: string; details?: Record<string, unknown> } })?.error;
      reject(new ApiError(xhr.status, e?.code || 'internal_error', e?.message || xhr.statusText, e?.details || {}));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'network error'));
    xhr.send(file);
  });
}

// Money is integer fen in the API; shown as yuan with two decimals.
export function yuan(fen: number | null | undefined, locale = 'zh-CN'): string {
  const v = (fen ?? 0) / 100;
  return `¥${v.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function toFen(yuanValue: number | null | undefined): number {
  return Math.round((yuanValue ?? 0) * 100);
}
