// Today: who is due, the next days, the backlog, open follow-ups. Log / Snooze / Skip per row.

import { backOn, snoozeSheet } from "../actions.js";
import * as api from "../api.js";
import { pending } from "../offline-queue.js";
import {
  add,
  avatar,
  errorBox,
  formatDay,
  h,
  healthMeter,
  lastSeen,
  relativeDay,
} from "../util.js";
import { guideSection, loadGuide } from "./guide.js";
import { loggedMessage, openLogSheet } from "./log.js";

const UPCOMING_CHUNK = 8;

/** @param {HTMLElement} root @param {any} ctx */
export async function render(root, ctx) {
  const [data, waiting, guide] = await Promise.all([
    api.today(),
    pending().catch(() => []),
    loadGuide(ctx.me.id),
  ]);
  const mine = waiting.filter((i) => i.user_id === ctx.me.id);
  add(
    root,
    h(
      "header",
      { class: "view-head" },
      h("h1", { tabindex: -1, text: "Today" }),
      h("p", { class: "sub", text: formatDay(data.today) }),
    ),
    mine.length ? outboxNote(mine.length) : null,
    guide ? guideSection(guide, ctx.me.id) : null,
    dueSection(ctx, data, guide && !guide.done),
    data.backlog_count ? backlogNote(data.backlog_count) : null,
    data.follow_ups.length ? followUps(ctx, data.follow_ups, data.today) : null,
    upcomingSection(ctx, data),
  );
}

function outboxNote(n) {
  const what = n === 1 ? "1 interaction is" : `${n} interactions are`;
  return h("p", { class: "note note-warn", role: "status", text: `${what} saved on this phone, waiting to be sent.` });
}

function backlogNote(n) {
  const who = n === 1 ? "1 more person is" : `${n} more people are`;
  return h("p", {
    class: "note backlog",
    "data-backlog": n,
    text: `${who} overdue. Kith spreads them over the coming days so no day is flooded.`,
  });
}

function dueSection(ctx, data, starting) {
  const list = h("ul", { class: "people", "aria-labelledby": "due-h" });
  for (const item of data.due) list.append(row(ctx, item, data.today));
  return h(
    "section",
    { class: "block due" },
    h("h2", { id: "due-h" }, "Reconnect today ", h("span", { class: "count", text: data.due.length })),
    data.due.length
      ? list
      : h("p", {
          class: "empty",
          text: starting
            ? "Nobody is due yet: the three steps above get your reminders going."
            : "Nobody is due today. Enjoy the quiet, or log someone you saw.",
        }),
  );
}

function upcomingSection(ctx, data) {
  const section = h("section", { class: "block upcoming" }, h("h2", { id: "next-h", text: "Next days" }));
  if (!data.upcoming.length) {
    section.append(h("p", { class: "empty", text: "Nothing planned for the next 7 days." }));
    return section;
  }
  let list = null;
  let day = null;
  // A long week is built in pieces, each its own task, so the first paint never waits for it
  // and no task blocks the page for long (the rows come below the fold).
  const put = (from) => {
    if (!section.isConnected && from > 0) return; // the user left Today meanwhile
    for (const item of data.upcoming.slice(from, from + UPCOMING_CHUNK)) {
      if (item.day !== day) {
        day = item.day;
        section.append(h("h3", { class: "day", text: relativeDay(day, data.today) }));
        list = h("ul", { class: "people" });
        section.append(list);
      }
      list.append(row(ctx, item, data.today));
    }
    if (from + UPCOMING_CHUNK < data.upcoming.length) setTimeout(() => put(from + UPCOMING_CHUNK), 0);
  };
  put(0);
  return section;
}

function followUps(ctx, items, today) {
  const list = h("ul", { class: "follow-ups" });
  for (const fu of items) {
    const overdue = fu.due_on < today;
    const li = h(
      "li",
      { class: "follow-up-row", "data-follow-up-id": fu.id },
      h(
        "div",
        { class: "fu-text" },
        h("a", { href: `#/contact/${fu.contact_id}`, class: "fu-name", text: fu.name }),
        h("span", { class: "fu-what", text: fu.what }),
        h("span", {
          class: overdue ? "fu-due overdue" : "fu-due",
          text: overdue ? `was due ${relativeDay(fu.due_on, today)}` : `due ${relativeDay(fu.due_on, today)}`,
        }),
      ),
    );
    const done = h("button", {
      type: "button",
      class: "btn",
      text: "Done",
      "aria-label": `Done: ${fu.what} (${fu.name})`,
      onclick: async () => {
        done.disabled = true;
        try {
          await api.followUpDone(fu.id);
          li.classList.add("is-done");
          done.replaceWith(h("span", { class: "badge", text: "Done" }));
        } catch (err) {
          done.disabled = false;
          ctx.toast(err.message);
        }
      },
    });
    li.append(done);
    list.append(li);
  }
  return h("section", { class: "block" }, h("h2", { text: "Follow-ups" }), list);
}

/**
 * One person: name, circle, health, "coffee, 47 days ago", and the three actions.
 * @param {any} ctx
 * @param {{contact_id: number, name: string, circle: string|null, health: number, last_kind: string|null, last_at: string|null, has_photo: boolean}} item
 */
function row(ctx, item, today) {
  const id = item.contact_id;
  const meta = h("span", { class: "last", text: lastSeen(item.last_kind, item.last_at, today) });
  let meter = healthMeter(item.health);
  const status = h("p", { class: "person-status", role: "status" });
  const actions = h("div", { class: "person-actions" });
  const li = h(
    "li",
    { class: "person", "data-contact-id": id },
    h(
      "div",
      { class: "person-head" },
      avatar(item, api.photoUrl(id)),
      h(
        "div",
        { class: "person-id" },
        h("a", { class: "person-name", href: `#/contact/${id}`, text: item.name }),
        h(
          "p",
          { class: "person-meta" },
          h("span", { class: item.circle ? "tag" : "tag tag-none", text: item.circle || "No circle" }),
          meta,
        ),
      ),
      meter,
    ),
    actions,
    status,
  );
  const contact = { id, name: item.name };

  function finish(text, undo) {
    actions.replaceChildren();
    status.textContent = text;
    li.classList.add("is-done");
    if (undo) actions.append(undo);
  }

  const log = button("Log", `Log an interaction with ${item.name}`, async () => {
    const before = Number(meter.dataset.health);
    const res = await openLogSheet(ctx, contact);
    if (!res) return;
    if (res.queued) {
      finish(loggedMessage(item.name, res, before));
      return;
    }
    meter.replaceWith((meter = healthMeter(res.contact.health)));
    meta.textContent = lastSeen(res.interaction.kind, res.interaction.at, today);
    const undo = button("Undo", `Undo logging with ${item.name}`, async () => {
      const out = await api.deleteInteraction(res.interaction.id);
      meter.replaceWith((meter = healthMeter(out.contact.health)));
      meta.textContent = lastSeen(item.last_kind, item.last_at, today);
      status.textContent = "";
      li.classList.remove("is-done");
      actions.replaceChildren(log, snooze, skip);
    });
    finish(loggedMessage(item.name, res, before), undo);
  });
  const snooze = button("Snooze", `Snooze ${item.name}`, async () => {
    const res = await snoozeSheet(contact);
    if (res) finish(`Snoozed until ${formatDay(res.until)}.`);
  });
  const skip = button("Skip", `Skip ${item.name} for now`, async () => {
    const updated = await api.skip(id);
    const when = backOn(updated);
    finish(when ? `Skipped for now: ${when}.` : "Skipped for now: back after half its rhythm.");
  });
  actions.append(log, snooze, skip);

  function button(text, label, run) {
    const b = h("button", { type: "button", class: "btn", "aria-label": label, text });
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        await run();
      } catch (err) {
        status.replaceChildren(errorBox(err.message));
      } finally {
        b.disabled = false;
      }
    });
    return b;
  }
  return li;
}
