// Boot: who is signed in, the hash router, toasts, offline status and the outbox replay.

import * as api from "./api.js";
import { pending, replay } from "./offline-queue.js";
import { registerServiceWorker } from "./pwa.js";
import { errorBox, h, loading } from "./util.js";
// Each screen's module loads when first shown: the first paint evaluates only the screen it needs.
const today = () => import("./views/today.js");
const signin = () => import("./views/signin.js");
const setup = () => import("./views/setup.js");

/** [pattern, view loader, nav tab, title] */
const ROUTES = [
  [/^\/today$/, today, "today", "Today"],
  [/^\/contacts$/, () => import("./views/contacts.js"), "contacts", "People"],
  [/^\/contact\/(\d+)$/, () => import("./views/contact.js"), "contacts", "Contact"],
  [/^\/triage$/, () => import("./views/triage.js"), "triage", "Triage"],
  [/^\/import$/, () => import("./views/import.js"), "import", "Import"],
  [/^\/calendar$/, () => import("./views/calendar.js"), "calendar", "Calendar"],
  [/^\/settings$/, () => import("./views/settings.js"), "settings", "Settings"],
];

const view = /** @type {HTMLElement} */ (document.getElementById("view"));
let routeSeq = 0;
let firstRoute = true;
let fromCache = false;

const ctx = {
  /** @type {null | {id: number, email: string, timezone: string}} */
  me: null,
  navigate(hash, { replace = false } = {}) {
    if (location.hash === hash) route();
    else if (replace) {
      history.replaceState(null, "", hash);
      route();
    } else location.hash = hash;
  },
  toast,
  signedIn(me) {
    ctx.me = me;
    document.body.classList.add("signed-in");
    api.session().catch(() => {}); // through the service worker, so an offline start knows who we are
    syncOutbox();
    const keep = location.hash && !/^#\/(signin|setup)\b/.test(location.hash);
    ctx.navigate(keep ? location.hash : "#/today", { replace: true });
  },
  setMe(me) {
    ctx.me = me;
  },
  async signOut() {
    try {
      await api.logout();
    } catch {
      // offline: the session cookie goes when the server sees us next; drop local data anyway
    }
    await dropSavedData();
    ctx.me = null;
    document.body.classList.remove("signed-in");
    history.replaceState(null, "", "#/signin");
    route();
  },
};

/** Forget the API answers the service worker kept for offline use (they belong to this user). */
async function dropSavedData() {
  if (!("caches" in window)) return;
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith("kith-data")).map((n) => caches.delete(n)));
}

async function route() {
  const seq = ++routeSeq;
  const path = location.hash.replace(/^#/, "") || "/today";
  if (!ctx.me) {
    const code = path.match(/^\/setup(?:\?(.*))?$/);
    if (code) {
      const params = new URLSearchParams(code[1] || "");
      await show(seq, setup, "setup", "Create your account", [params.get("code") || ""]);
    } else await show(seq, signin, "signin", "Sign in", []);
    return;
  }
  if (path.startsWith("/setup")) {
    ctx.navigate("#/today", { replace: true });
    return;
  }
  const found = ROUTES.map(([re, mod, tab, title]) => [path.match(re), mod, tab, title]).find(
    ([m]) => m,
  );
  if (!found) {
    ctx.navigate("#/today", { replace: true });
    return;
  }
  const [match, mod, tab, title] = found;
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  await show(seq, mod, tab, title, match.slice(1));
}

async function show(seq, load, name, title, params) {
  const screen = h("div", { class: `screen screen-${name}`, "data-screen": name });
  if (!firstRoute) view.replaceChildren(loading());
  view.setAttribute("aria-busy", "true");
  try {
    const mod = await load().catch((err) => {
      throw navigator.onLine ? err : new api.OfflineError(); // the screen's module was not fetched
    });
    await mod.render(screen, ctx, ...params);
  } catch (err) {
    if (seq !== routeSeq) return;
    if (err instanceof api.ApiError && err.status === 401) {
      ctx.me = null;
      document.body.classList.remove("signed-in");
      history.replaceState(null, "", "#/signin");
      route();
      return;
    }
    screen.replaceChildren(
      h("h1", { tabindex: -1, text: title }),
      errorBox(
        err instanceof api.OfflineError
          ? "You are offline and this screen was not saved on this phone yet."
          : err.message,
      ),
      h("button", { type: "button", class: "btn", text: "Try again", onclick: () => route() }),
    );
  }
  if (seq !== routeSeq) return;
  view.replaceChildren(screen);
  view.setAttribute("aria-busy", "false");
  document.title = title === "Today" ? "Kith" : `${title} · Kith`;
  if (!firstRoute) {
    window.scrollTo(0, 0);
    const heading = screen.querySelector("h1");
    if (heading) heading.focus({ preventScroll: true });
  }
  firstRoute = false;
  document.body.dataset.screen = name;
  document.body.dataset.route = location.hash || "#/today";
}

// Toasts: one at a time, above the tab bar, announced politely.
let toastTimer;
function toast(message, action) {
  const box = document.getElementById("toast");
  if (!box) return;
  clearTimeout(toastTimer);
  box.replaceChildren(h("span", { text: message }));
  // The toast goes away after a few seconds; the last message stays readable here (tests,
  // assistive tech that arrives late), so checking what was said cannot race its disappearance.
  box.dataset.last = message;
  if (action) {
    box.append(
      h("button", {
        type: "button",
        class: "btn btn-quiet",
        text: action.label,
        onclick: async () => {
          box.replaceChildren();
          try {
            await action.run();
          } catch (err) {
            toast(err.message);
          }
        },
      }),
    );
  }
  toastTimer = setTimeout(() => box.replaceChildren(), action ? 8000 : 5000);
}

// Offline status: the pill in the top bar, and how many logs wait in the outbox.
let waiting = 0;
function updateStatus() {
  const pill = document.getElementById("net-status");
  if (!pill) return;
  const offline = !navigator.onLine || fromCache;
  const parts = [];
  if (offline) parts.push("Offline");
  if (waiting) parts.push(`${waiting} to send`);
  pill.textContent = parts.join(" · ");
}

api.onAnswer((info) => {
  fromCache = info.fromCache;
  updateStatus();
});
window.addEventListener("kith:outbox", (e) => {
  waiting = /** @type {CustomEvent} */ (e).detail;
  updateStatus();
});

/** Send what was logged offline; tell the user; refresh Today if it is on screen. */
async function syncOutbox() {
  if (!ctx.me || !navigator.onLine) return;
  const result = await replay(ctx.me.id).catch(() => null);
  if (!result) return;
  if (result.sent) {
    toast(result.sent === 1 ? "Sent 1 interaction logged offline." : `Sent ${result.sent} interactions logged offline.`);
    if (document.body.dataset.screen === "today") route();
  }
  for (const d of result.dropped) toast(`An interaction logged offline could not be saved: ${d.message}`);
}

window.addEventListener("online", () => {
  fromCache = false;
  updateStatus();
  syncOutbox();
});
window.addEventListener("offline", updateStatus);
window.addEventListener("hashchange", () => route());

/** Fetch what the first screens need once the service worker can keep it for offline use. */
function warmOfflineData() {
  if (!ctx.me) return;
  Promise.allSettled([api.session(), api.today(), api.listCircles()]);
}

/** After the first screen: installing the worker fetches the whole shell, which would compete
 * with the first paint for the network and the main thread. */
function registerWorkerWhenIdle() {
  const start = () =>
    registerServiceWorker({ onFirstControl: warmOfflineData }).catch((err) =>
      console.warn("service worker:", err),
    );
  if ("requestIdleCallback" in window) requestIdleCallback(start, { timeout: 3000 });
  else setTimeout(start, 500);
}

async function boot() {
  try {
    const state = await api.session();
    ctx.me = state.signed_in ? state.user : null;
    if (ctx.me) document.body.classList.add("signed-in");
  } catch (err) {
    ctx.me = null;
    if (err instanceof api.OfflineError) {
      view.replaceChildren(
        h("h1", { text: "Kith" }),
        errorBox("Kith cannot reach the server, and nothing is saved on this phone yet."),
        h("button", { type: "button", class: "btn", text: "Try again", onclick: () => location.reload() }),
      );
      return;
    }
  }
  pending()
    .then((items) => {
      waiting = items.length;
      updateStatus();
    })
    .catch(() => {});
  await route();
  registerWorkerWhenIdle();
  syncOutbox();
}

boot();
