// Reminder actions shared by Today and Contact: snooze (sheet), skip, done.

import * as api from "./api.js";
import { openSheet } from "./sheet.js";
import { errorBox, formatDay, h, localDay } from "./util.js";

/**
 * Ask how long to snooze, then snooze. Resolves with the updated contact and the day the
 * reminder comes back (the server's rule: a week is 7 days, a month 30), or null when cancelled.
 * @param {{id: number, name: string}} contact
 * @returns {Promise<null | {contact: any, until: string}>}
 */
export function snoozeSheet(contact) {
  return openSheet(`Snooze ${contact.name}`, (close) => {
    const status = h("div", { class: "sheet-status" });
    const until = h("input", { id: "snooze-until", type: "date", min: localDay(), required: true });
    async function go(body, button) {
      status.replaceChildren();
      button.disabled = true;
      const days = { week: 7, month: 30 }[body.by];
      const untilDay = body.until || localDay(Date.now() + days * 86400000);
      try {
        close({ contact: await api.snooze(contact.id, body), until: untilDay });
      } catch (err) {
        status.append(errorBox(err.message));
        button.disabled = false;
      }
    }
    const week = h("button", {
      type: "button",
      class: "btn",
      "data-snooze": "week",
      text: "A week",
      onclick: () => go({ by: "week" }, week),
    });
    const month = h("button", {
      type: "button",
      class: "btn",
      "data-snooze": "month",
      text: "A month",
      onclick: () => go({ by: "month" }, month),
    });
    const pick = h("button", { type: "submit", class: "btn", text: "Snooze until then" });
    return h(
      "div",
      { class: "snooze" },
      h("div", { class: "button-row" }, week, month),
      h(
        "form",
        {
          class: "inline-form",
          onsubmit: (e) => {
            e.preventDefault();
            if (until.value) go({ until: until.value }, pick);
          },
        },
        h("div", { class: "field" }, h("label", { for: "snooze-until", text: "Or pick a day" }), until),
        pick,
      ),
      status,
    );
  });
}

/**
 * "back on Mon 1 Dec": the contact's next reminder day when the server says it (reminder_on or
 * not_before), else null. Its due_on is when the tie fell below the threshold, often in the past.
 */
export function backOn(contact) {
  const day = contact && (contact.reminder_on || contact.not_before);
  return day ? `back on ${formatDay(day)}` : null;
}
