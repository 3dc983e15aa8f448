// Every request to the server lives here (docs/api.md). Writes carry the CSRF token from the cookie.

/** The server answered with an error status; `message` is its {"error": ...} text. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** No answer at all: offline, or the server is down. */
export class OfflineError extends Error {
  constructor(message = "You are offline") {
    super(message);
    this.name = "OfflineError";
  }
}

const listeners = new Set();

/**
 * Be told about every API answer: `{path, fromCache, savedAt}`. The service worker marks
 * answers it served from its cache (offline) with the x-kith-from-cache header.
 * @param {(info: {path: string, fromCache: boolean, savedAt: string|null}) => void} fn
 */
export function onAnswer(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

/** The CSRF cookie is set on any GET; make one when a write comes first. The session probe
 * answers 200 signed in or not, so a signed-out page logs no 401. */
async function ensureCsrf(force = false) {
  if (!force && csrfToken()) return;
  try {
    await fetch("/api/auth/session", { credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new OfflineError();
  }
}

function query(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * @param {string} method
 * @param {string} path
 * @param {{json?: any, form?: FormData}} [opts]
 */
async function request(method, path, opts = {}, retried = false) {
  const headers = { Accept: "application/json" };
  let body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form;
  }
  if (method !== "GET") {
    await ensureCsrf();
    headers["x-csrftoken"] = csrfToken() || "";
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: "same-origin" });
  } catch {
    throw new OfflineError();
  }
  if (method === "GET") {
    const fromCache = res.headers.get("x-kith-from-cache") === "1";
    const info = { path, fromCache, savedAt: res.headers.get("x-kith-saved-at") };
    for (const fn of listeners) fn(info);
  }
  if (res.status === 403 && !retried && method !== "GET") {
    // An expired or missing CSRF cookie: fetch a fresh one and try once more.
    await ensureCsrf(true);
    return request(method, path, opts, true);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const message = (data && data.error) || `${res.status} ${res.statusText || "error"}`;
    throw new ApiError(res.status, message);
  }
  return data;
}

const get = (path, params) => request("GET", path + query(params));
const post = (path, json) => request("POST", path, { json: json === undefined ? {} : json });
const patch = (path, json) => request("PATCH", path, { json });
const del = (path) => request("DELETE", path);

// Account
export const login = (email, password) => post("/api/auth/login", { email, password });
export const logout = () => post("/api/auth/logout");
export const me = () => get("/api/auth/me");
/** `{signed_in, user}`, always 200: the first question of every page load. */
export const session = () => get("/api/auth/session");
export const updateSettings = (changes) => patch("/api/settings", changes);

// First run: the one-time setup link, and the three steps Today shows a new account
export const setupStatus = (code) => get("/api/auth/setup", { code });
export const setup = (body) => post("/api/auth/setup", body);
export const guide = () => get("/api/guide");

// Contacts
export const listContacts = (params) => get("/api/contacts", params);
export const getContact = (id) => get(`/api/contacts/${id}`);
export const createContact = (body) => post("/api/contacts", body);
export const updateContact = (id, changes) => patch(`/api/contacts/${id}`, changes);
export const archiveContact = (id) => post(`/api/contacts/${id}/archive`);
export const unarchiveContact = (id) => post(`/api/contacts/${id}/unarchive`);
export const photoUrl = (id) => `/api/contacts/${id}/photo`;

// Circles
export const listCircles = () => get("/api/circles");
export const updateCircle = (id, changes) => patch(`/api/circles/${id}`, changes);

// Interactions and strength
export const logInteraction = (contactId, body) =>
  post(`/api/contacts/${contactId}/interactions`, body);
export const listInteractions = (contactId) => get(`/api/contacts/${contactId}/interactions`);
export const deleteInteraction = (id) => del(`/api/interactions/${id}`);
export const strength = (contactId) => get(`/api/contacts/${contactId}/strength`);

// Today and reminder actions
export const today = () => get("/api/today");
export const snooze = (contactId, body) => post(`/api/contacts/${contactId}/snooze`, body);
export const skip = (contactId) => post(`/api/contacts/${contactId}/skip`);
export const done = (contactId) => post(`/api/contacts/${contactId}/done`);
export const followUpDone = (id) => post(`/api/follow-ups/${id}/done`);

// Merge suggestions
export const mergeSuggestions = () => get("/api/merge-suggestions");
export const merge = (id, keepId) => post(`/api/merge-suggestions/${id}/merge`, { keep_id: keepId });
export const dismissMerge = (id) => post(`/api/merge-suggestions/${id}/dismiss`);
export const undoMerge = (undoId, options) => post(`/api/merges/${undoId}/undo`, options);

// Import
/** @param {File} file @param {string} [format] */
export function uploadImport(file, format) {
  const form = new FormData();
  form.append("file", file, file.name);
  if (format && format !== "auto") form.append("format", format);
  return request("POST", "/api/imports", { form });
}
export const listImports = () => get("/api/imports");
export const getImport = (id) => get(`/api/imports/${id}`);

const UNFINISHED = new Set(["queued", "running"]);
/**
 * A "Run now" or a large upload answers 202 with its import still queued or running: poll it
 * (`GET /api/imports/{id}`) until it ends, telling `onWait` each state seen on the way.
 * @param {any} report ImportReport @param {(report: any) => void} [onWait]
 */
export async function untilFinished(report, onWait = () => {}) {
  let delay = 400;
  while (report && UNFINISHED.has(report.status)) {
    onWait(report);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, 3000);
    report = await getImport(report.id);
  }
  return report;
}
export const peopleYouMeet = () => get("/api/people-you-meet");
export const addPerson = (id) => post(`/api/people-you-meet/${id}/add`);
export const dismissPerson = (id) => post(`/api/people-you-meet/${id}/dismiss`);

// Nightly sources
export const listSources = () => get("/api/sources");
export const addSource = (body) => post("/api/sources", body);
export const deleteSource = (id) => del(`/api/sources/${id}`);
export const runSource = (id) => post(`/api/sources/${id}/run`);
export const testSource = (body) => post("/api/sources/test", body);
export const setSourcePassword = (id, password) => patch(`/api/sources/${id}`, { password });
export const nightly = () => get("/api/nightly");

// Calendar feed
export const feed = () => get("/api/feed");
export const rotateFeed = () => post("/api/feed/rotate");
