// Log: tap a kind and it is logged (the note and follow-up above it are optional).

import { logOrQueue } from "../offline-queue.js";
import { openSheet } from "../sheet.js";
import { KINDS, errorBox, h, localDay } from "../util.js";

/**
 * Ask what happened with `contact` and log it (or queue it when offline).
 * @param {{me: {id: number}, toast: (msg: string, action?: any) => void}} ctx
 * @param {{id: number, name: string}} contact
 * @returns {Promise<null | {queued: boolean, kind: string, interaction?: any, contact?: any}>}
 */
export function openLogSheet(ctx, contact) {
  return openSheet(`Log with ${contact.name}`, (close) => {
    const note = h("textarea", { id: "log-note", name: "note", rows: 2, maxlength: 2000 });
    const what = h("input", { id: "log-fu-what", name: "what", type: "text", maxlength: 200 });
    const due = h("input", { id: "log-fu-due", name: "due_on", type: "date", min: localDay() });
    const today = localDay();
    const day = h("input", { id: "log-day", name: "day", type: "date", max: today, value: today, required: true });
    const status = h("div", { class: "sheet-status" });
    const kinds = KINDS.map(([kind, label], i) =>
      h("button", {
        type: "button",
        class: "btn kind",
        "data-kind": kind,
        autofocus: i === 0,
        text: label,
        onclick: () => submit(kind),
      }),
    );

    async function submit(kind) {
      status.replaceChildren();
      const fields = { kind };
      // Another day than today is logged at local noon of that day (as the API's `on` does).
      if (day.value && day.value !== today) fields.at = new Date(`${day.value}T12:00:00`).toISOString();
      if (note.value.trim()) fields.note = note.value.trim();
      if (what.value.trim()) {
        if (!due.value) {
          status.append(errorBox("Pick a day for the follow-up, or clear it."));
          due.focus();
          return;
        }
        fields.follow_up = { what: what.value.trim(), due_on: due.value };
      }
      kinds.forEach((b) => (b.disabled = true));
      try {
        const res = await logOrQueue(ctx.me.id, contact.id, fields);
        close({ ...res, kind });
      } catch (err) {
        status.append(errorBox(err.message));
        kinds.forEach((b) => (b.disabled = false));
      }
    }

    return h(
      "form",
      { class: "log-form", onsubmit: (e) => e.preventDefault() },
      h("div", { class: "field log-day" }, h("label", { for: "log-day", text: "When" }), day),
      h("div", { class: "field" }, h("label", { for: "log-note", text: "Note (optional)" }), note),
      h(
        "details",
        { class: "follow-up" },
        h("summary", { text: "Promised something? Add a follow-up" }),
        h("div", { class: "field" }, h("label", { for: "log-fu-what", text: "What" }), what),
        h("div", { class: "field" }, h("label", { for: "log-fu-due", text: "By" }), due),
      ),
      h(
        "fieldset",
        { class: "kinds" },
        h("legend", { text: "What did you do? Tap to log it." }),
        h("div", { class: "kind-grid" }, kinds),
      ),
      status,
    );
  });
}

/** The toast line after a log: health before and after, or "saved on this phone". */
export function loggedMessage(name, res, healthBefore) {
  if (res.queued) return `Saved on this phone; it will be sent when you are back online.`;
  const after = res.contact ? res.contact.health : null;
  const kind = res.kind.replace(/-/g, " ");
  if (after === null || healthBefore === undefined) return `Logged ${kind} with ${name}.`;
  return `Logged ${kind} with ${name}: health ${healthBefore} → ${after}.`;
}
