// Interactions logged without a connection wait in IndexedDB and are sent once we are back online.
// Each carries its idempotency_key, so a replay the server already has comes back as `replayed`.

import { ApiError, OfflineError, logInteraction } from "./api.js";
import { uuid } from "./util.js";

const DB_NAME = "kith";
const STORE = "outbox";

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore(STORE, { keyPath: "body.idempotency_key" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

async function tx(mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const result = work(t.objectStore(STORE));
    t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

/** Everything waiting, oldest first. */
export async function pending() {
  const items = await tx("readonly", (s) => s.getAll());
  return (items || []).sort((a, b) => a.queued_at.localeCompare(b.queued_at));
}

async function remove(key) {
  await tx("readwrite", (s) => s.delete(key));
}

function announce() {
  pending()
    .then((items) => window.dispatchEvent(new CustomEvent("kith:outbox", { detail: items.length })))
    .catch(() => {});
}

/**
 * Log an interaction now, or keep it for later when there is no connection. The time is fixed
 * at the tap (`at`), so a coffee logged on the train is not dated when the phone reconnects.
 * @returns {Promise<{queued: boolean, interaction?: any, contact?: any}>}
 */
export async function logOrQueue(userId, contactId, fields) {
  const body = { at: new Date().toISOString(), ...fields, idempotency_key: uuid() };
  try {
    const res = await logInteraction(contactId, body);
    return { queued: false, ...res };
  } catch (err) {
    const unreachable =
      err instanceof OfflineError || (err instanceof ApiError && [502, 503, 504].includes(err.status));
    if (!unreachable) throw err;
    const item = { user_id: userId, contact_id: contactId, body, queued_at: body.at };
    await tx("readwrite", (s) => s.put(item));
    announce();
    return { queued: true };
  }
}

/**
 * Whether a failed replay should leave the queue: any 2xx was stored; a 4xx other than 401 (signed
 * out) and 429 (throttled) will never succeed (e.g. the contact was deleted), so retrying is futile.
 */
export function isSettled(status) {
  if (status >= 200 && status < 300) return true;
  return status >= 400 && status < 500 && status !== 401 && status !== 429;
}

let running = null;

/**
 * Send what is waiting, oldest first, one at a time. Stops at the first network error, 5xx, 401
 * or 429 and leaves the rest for the next try. Only one replay runs at a time (across tabs too,
 * when the Web Locks API exists), so nothing is sent twice at once.
 * @returns {Promise<{sent: number, dropped: Array<{item: any, message: string}>, left: number}>}
 */
export function replay(userId) {
  if (running) return running;
  const work = () => replayNow(userId);
  running = (navigator.locks ? navigator.locks.request("kith-outbox", work) : work()).finally(
    () => {
      running = null;
      announce();
    },
  );
  return running;
}

async function replayNow(userId) {
  const result = { sent: 0, dropped: [], left: 0 };
  const items = (await pending()).filter((i) => i.user_id === userId);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let status;
    let message = "";
    try {
      await logInteraction(item.contact_id, item.body);
      status = 200;
    } catch (err) {
      if (!(err instanceof ApiError)) {
        result.left = items.length - i;
        break;
      }
      status = err.status;
      message = err.message;
    }
    if (!isSettled(status)) {
      result.left = items.length - i;
      break;
    }
    await remove(item.body.idempotency_key);
    if (status >= 400) result.dropped.push({ item, message });
    else result.sent += 1;
  }
  return result;
}
