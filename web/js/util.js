// DOM helpers and formatting. Every piece of user text goes in as a text node, never as HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Build an element. attrs: `class`, `text` (textContent), `on<event>` (listener),
 * booleans (set as properties), everything else via setAttribute. Children: nodes or strings
 * (strings become text nodes); null/false children are skipped.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|number|null|false|undefined)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/**
 * Same as h() for SVG elements.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|null|false|undefined)} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Append children the way h() does: strings as text, null/false skipped (the native append
 * would print "null").
 * @param {Element} parent
 * @param {...(Node|string|number|null|false|undefined)} children
 */
export function add(parent, ...children) {
  append(parent, children);
  return parent;
}

/** @param {Element} el */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** A random v4 UUID; crypto.randomUUID only exists in secure contexts (not plain-http LAN). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const KINDS = [
  ["coffee", "Coffee"],
  ["meal", "Meal"],
  ["call", "Call"],
  ["video", "Video call"],
  ["message", "Message"],
  ["email", "Email"],
  ["meeting", "Meeting"],
  ["event", "Event"],
  ["group-message", "Group chat"],
  ["intro", "Intro"],
  ["favour", "Favour"],
];

const KIND_LABELS = Object.fromEntries([...KINDS, ["connected", "Connected"]]);

/** @param {string|null} kind */
export function kindLabel(kind) {
  if (!kind) return "";
  return KIND_LABELS[kind] || kind.replace(/-/g, " ");
}

const DAY_MS = 86400000;

/** Days from date-only string `a` to `b` (both YYYY-MM-DD), as whole days. */
export function daysBetween(a, b) {
  return Math.round((Date.parse(b) - Date.parse(a)) / DAY_MS);
}

/** The local calendar day of a time, as YYYY-MM-DD. */
export function localDay(date = new Date()) {
  const d = new Date(date);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "today", "yesterday", "47 days ago", "5 months ago", "2 years ago". */
export function ago(isoTime, today = localDay()) {
  if (!isoTime) return "never";
  const days = daysBetween(localDay(isoTime), today);
  if (days <= 0) return "today";
  if (days === 1) return "yesterday";
  if (days < 100) return `${days} days ago`;
  if (days < 730) return `${Math.round(days / 30.4)} months ago`;
  return `${Math.round(days / 365.25)} years ago`;
}

/** "coffee, 47 days ago" or "no interaction yet". */
export function lastSeen(kind, at, today) {
  if (!at) return "no interaction yet";
  return `${kindLabel(kind).toLowerCase()}, ${ago(at, today)}`;
}

const dayFmt = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  day: "numeric",
  month: "short",
  timeZone: "UTC",
});
const longFmt = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});
const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** "Mon 24 Nov" for a date-only string (read as a calendar day, not a UTC instant). */
export function formatDay(day) {
  return day ? dayFmt.format(new Date(`${day}T00:00:00Z`)) : "";
}

/** "24 Nov 2026" for a date-only string or an ISO time (its local day). */
export function formatDate(value) {
  if (!value) return "";
  const day = value.length > 10 ? localDay(value) : value;
  return longFmt.format(new Date(`${day}T00:00:00Z`));
}

/** "24 Nov 2026, 14:05" in the browser's time zone. */
export function formatTime(iso) {
  return iso ? timeFmt.format(new Date(iso)) : "";
}

/** "today", "tomorrow", "in 3 days (Thu 27 Nov)". */
export function relativeDay(day, today = localDay()) {
  const n = daysBetween(today, day);
  if (n === 0) return "today";
  if (n === 1) return "tomorrow";
  if (n === -1) return "yesterday";
  if (n > 1 && n < 7) return `in ${n} days (${formatDay(day)})`;
  return Math.abs(n) > 180 ? formatDate(day) : formatDay(day);
}

/** Health words: due at 39 and below (DESIGN.md section 5). */
export function healthWord(health) {
  if (health <= 39) return "fading";
  if (health < 70) return "okay";
  return "strong";
}

/**
 * A labelled health meter: <meter> plus the number, so it reads as text too.
 * @param {number} health 0-100
 */
export function healthMeter(health, { label = true } = {}) {
  const value = Math.max(0, Math.min(100, Math.round(health)));
  return h(
    "span",
    { class: "health", "data-health": value },
    h("meter", {
      min: 0,
      max: 100,
      low: 40,
      high: 70,
      optimum: 100,
      value,
      "aria-label": `Health ${value} of 100, ${healthWord(value)}`,
    }),
    label ? h("span", { class: "health-num", "aria-hidden": "true", text: value }) : null,
  );
}

/** Initials for an avatar placeholder. */
export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const first = parts[0] ? [...parts[0]][0] : "?";
  const last = parts.length > 1 ? [...parts[parts.length - 1]][0] : "";
  return (first + last).toUpperCase();
}

/**
 * A 40 px avatar: the photo when there is one, else initials. Fixed size, so no layout shift.
 * @param {{id?: number, contact_id?: number, name?: string, full_name?: string, has_photo?: boolean}} c
 */
export function avatar(c, photoUrl) {
  const name = c.full_name || c.name || "";
  if (c.has_photo && photoUrl) {
    return h("img", { class: "avatar", src: photoUrl, alt: "", width: 40, height: 40, loading: "lazy" });
  }
  return h("span", { class: "avatar avatar-initials", "aria-hidden": "true", text: initials(name) });
}

/** Only http(s), mailto and tel links are ever made clickable (an import may carry `javascript:`). */
export function safeHref(url) {
  try {
    const u = new URL(url, location.origin);
    return ["http:", "https:", "mailto:", "tel:", "webcal:"].includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

/** A message line that screen readers announce. */
export function errorBox(message) {
  return h("p", { class: "error", role: "alert", text: message });
}

/** A bit of text with a spinner-free "Loading..." that keeps its height. */
export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status", text });
}

/** Debounce a function by `ms`. */
export function debounce(fn, ms = 250) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/** Disable a button while a promise runs; returns the promise's result. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** A labelled form field; `hint` (optional) is a line under the input. */
export function field(id, label, input, hint) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: label }),
    input,
    hint ? h("p", { id: `${id}-hint`, class: "hint", text: hint }) : null,
  );
}

/** A form's submit handler: disables the button while `action` runs; an error is announced in
 * `status` and the button comes back, so a failed sign-in or setup can simply be tried again. */
export function submitting(submit, status, action) {
  return async (e) => {
    e.preventDefault();
    status.replaceChildren();
    submit.disabled = true;
    try {
      await action();
    } catch (err) {
      status.append(errorBox(err.message));
      submit.disabled = false;
    }
  };
}
