// The guided start on Today: import, circles, a subscribed calendar (DESIGN.md section 10).

import * as api from "../api.js";
import { h } from "../util.js";

const hiddenKey = (userId) => `kith-guide-hidden-${userId}`;

/** The guide's progress, or null once the user hid the finished guide (then nothing is asked). */
export async function loadGuide(userId) {
  try {
    if (localStorage.getItem(hiddenKey(userId)) === "1") return null;
  } catch {
    // storage refused (private mode): ask the server every time
  }
  return api.guide().catch(() => null);
}

/**
 * @param {{contacts: number, in_circle: number, feed_fetched: boolean, done: boolean}} g
 * @param {number} userId
 */
export function guideSection(g, userId) {
  const people = (n) => (n === 1 ? "1 person" : `${n} people`);
  const steps = [
    {
      key: "import",
      href: "#/import",
      title: "Import your contacts",
      done: g.contacts > 0,
      todo: "Upload a vCard or CSV export from your phone, Google, Outlook or LinkedIn.",
      did: `${people(g.contacts)} in Kith.`,
    },
    {
      key: "circles",
      href: "#/triage",
      title: "Put people in circles",
      done: g.in_circle > 0,
      todo: "Only people in a circle get reminders: Triage places each with one tap.",
      did: `${people(g.in_circle)} in a circle.`,
    },
    {
      key: "calendar",
      href: "#/calendar",
      title: "Subscribe your calendar",
      done: g.feed_fetched,
      todo: "Reconnect reminders then appear in the calendar you already use.",
      did: "Your calendar fetched the feed.",
    },
  ];
  const list = h(
    "ol",
    { class: "guide-steps" },
    steps.map((s, i) =>
      h(
        "li",
        { class: s.done ? "step is-done" : "step", "data-step": s.key, "data-done": String(s.done) },
        h("span", { class: "step-mark", "aria-hidden": "true" }, s.done ? "✓" : String(i + 1)),
        h(
          "div",
          { class: "step-text" },
          h("a", { class: "step-link", href: s.href }, s.title, h("span", { class: "visually-hidden", text: s.done ? " (done)" : " (to do)" })),
          h("p", { class: "hint", text: s.done ? s.did : s.todo }),
        ),
      ),
    ),
  );
  const section = h(
    "section",
    { class: "block card guide", "aria-labelledby": "guide-h", "data-guide-done": String(g.done) },
    h("h2", { id: "guide-h", text: g.done ? "You are set up" : "Get started in three steps" }),
    list,
  );
  if (g.done) {
    section.append(
      h("p", { class: "hint", text: "Kith now places reminders in your calendar as people fade." }),
      h("button", {
        type: "button",
        class: "btn",
        text: "Hide this guide",
        onclick: () => {
          try {
            localStorage.setItem(hiddenKey(userId), "1");
          } catch {
            // storage refused: hidden until the next visit only
          }
          section.remove();
        },
      }),
    );
  } else {
    section.append(
      h(
        "p",
        { class: "hint guide-demo" },
        "Just looking? ",
        h("code", { text: "make demo" }),
        " makes a demo account with a few hundred people to explore.",
      ),
    );
  }
  return section;
}
