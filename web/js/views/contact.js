// Contact: details, health with its sparkline and explanation, timeline, edit, merge suggestions.

import { backOn, snoozeSheet } from "../actions.js";
import * as api from "../api.js";
import { sparkline } from "../sparkline.js";
import {
  add,
  avatar,
  errorBox,
  formatDate,
  formatDay,
  h,
  healthMeter,
  healthWord,
  kindLabel,
  localDay,
  safeHref,
} from "../util.js";
import { mergeSection } from "./contact-merges.js";
import { loggedMessage, openLogSheet } from "./log.js";

/** @param {HTMLElement} root @param {any} ctx @param {string} idText */
export async function render(root, ctx, idText) {
  const id = Number(idText);
  const optional = (p) => p.catch((err) => ({ failed: err }));
  const [contact, circles, strength, timeline, merges] = await Promise.all([
    api.getContact(id),
    api.listCircles(),
    optional(api.strength(id)),
    optional(api.listInteractions(id)),
    optional(api.mergeSuggestions()),
  ]);
  const reload = () => ctx.navigate(`#/contact/${id}`, { replace: true });

  add(
    root,
    head(ctx, contact, reload),
    healthSection(contact, strength),
    mergeSection(ctx, contact, merges),
    detailsSection(contact),
    timelineSection(ctx, timeline, reload),
    editSection(ctx, contact, circles, reload),
  );
}

function head(ctx, c, reload) {
  const status = h("p", { class: "person-status", role: "status" });
  const act = (text, label, run, cls = "btn") =>
    h("button", {
      type: "button",
      class: cls,
      "aria-label": label,
      text,
      onclick: async (e) => {
        const b = e.currentTarget;
        b.disabled = true;
        try {
          await run();
        } catch (err) {
          status.replaceChildren(errorBox(err.message));
        } finally {
          b.disabled = false;
        }
      },
    });
  const sub = [c.title, c.organization].filter(Boolean).join(", ");
  return h(
    "header",
    { class: "view-head contact-head" },
    avatar(c, api.photoUrl(c.id)),
    h(
      "div",
      { class: "person-id" },
      h("h1", { tabindex: -1, class: "contact-name", text: c.full_name }),
      sub ? h("p", { class: "sub", text: sub }) : null,
      h(
        "p",
        { class: "person-meta" },
        h("span", { class: c.circle ? "tag" : "tag tag-none", text: c.circle || "No circle" }),
        c.archived ? h("span", { class: "tag tag-none", text: "Archived" }) : null,
        c.due_on ? h("span", { class: "last", text: dueText(c.due_on) }) : null,
      ),
    ),
    h(
      "div",
      { class: "person-actions" },
      act("Log", `Log an interaction with ${c.full_name}`, async () => {
        const res = await openLogSheet(ctx, { id: c.id, name: c.full_name });
        if (!res) return;
        ctx.toast(loggedMessage(c.full_name, res, c.health));
        if (!res.queued) reload();
      }, "btn btn-primary"),
      act("Snooze", `Snooze ${c.full_name}`, async () => {
        const res = await snoozeSheet({ id: c.id, name: c.full_name });
        if (res) {
          ctx.toast(`Snoozed ${c.full_name} until ${formatDay(res.until)}.`);
          reload();
        }
      }),
      act("Skip", `Skip ${c.full_name} for now`, async () => {
        const updated = await api.skip(c.id);
        const when = backOn(updated);
        ctx.toast(`Skipped ${c.full_name} for now${when ? `: ${when}` : ""}.`);
        reload();
      }),
      act("Reached out", `Mark ${c.full_name} as reached out`, async () => {
        const updated = await api.done(c.id);
        const when = backOn(updated);
        ctx.toast(`Marked as reached out${when ? `: ${when}` : ""}.`);
        reload();
      }),
    ),
    status,
  );
}

/** "due Mon 24 Nov", or "due since Sun 1 Nov" when that day has passed. */
function dueText(day) {
  return day < localDay() ? `due since ${formatDay(day)}` : `due ${formatDay(day)}`;
}

function healthSection(c, strength) {
  const section = h(
    "section",
    { class: "block card health-block", "aria-labelledby": "health-h" },
    h("h2", { id: "health-h" }, "Health ", h("span", { class: "sub", text: healthWord(c.health) })),
  );
  if (strength.failed) {
    section.append(healthMeter(c.health), errorBox(`No history: ${strength.failed.message}`));
    return section;
  }
  const ex = strength.explanation;
  section.append(
    h("div", { class: "health-row" }, healthMeter(strength.health), sparkline(strength.series)),
    h("p", { class: "explain", text: ex.summary }),
  );
  if (ex.contributions && ex.contributions.length) {
    const list = h("ul", { class: "contributions" });
    for (const part of ex.contributions) {
      list.append(
        h(
          "li",
          {},
          h("span", { text: `${kindLabel(part.kind)}, ${formatDate(part.on)}` }),
          h("span", { class: "share", text: `${Math.round(part.share * 100)}%` }),
        ),
      );
    }
    section.append(h("details", {}, h("summary", { text: "What counts most now" }), list));
  }
  return section;
}

function detailsSection(c) {
  const rows = [];
  const add = (label, values, hrefOf) => {
    const items = (values || []).filter(Boolean);
    if (!items.length) return;
    rows.push(
      h("dt", { text: label }),
      h(
        "dd",
        {},
        items.map((v) => {
          const href = hrefOf ? safeHref(hrefOf(v)) : null;
          return h("span", { class: "value" }, href ? h("a", { href, text: v, rel: "noopener noreferrer" }) : v);
        }),
      ),
    );
  };
  add("Email", c.emails, (v) => `mailto:${v}`);
  add("Phone", c.phones, (v) => `tel:${v.replace(/[^\d+]/g, "")}`);
  add("Birthday", [c.birthday ? birthday(c.birthday) : null]);
  add("Web", c.urls, (v) => (/^[a-z][a-z0-9+.-]*:/i.test(v) ? v : `https://${v}`));
  add("Groups", [c.groups && c.groups.length ? c.groups.join(", ") : null]);
  add("Nickname", [c.nickname]);
  add("Imported from", [c.source && !["manual", "app", "api"].includes(c.source) ? c.source : null]);
  if (!rows.length) return null;
  return h("section", { class: "block" }, h("h2", { text: "Details" }), h("dl", { class: "details" }, rows));
}

function birthday(value) {
  // "--MM-DD" is a birthday without a year (RFC 6350 section 4.3.1)
  if (value.startsWith("--")) {
    return new Intl.DateTimeFormat(undefined, { day: "numeric", month: "long", timeZone: "UTC" }).format(
      new Date(`2000-${value.slice(2)}T00:00:00Z`),
    );
  }
  return formatDate(value);
}

function timelineSection(ctx, timeline, reload) {
  const section = h("section", { class: "block" }, h("h2", { text: "Timeline" }));
  if (timeline.failed) {
    section.append(errorBox(timeline.failed.message));
    return section;
  }
  if (!timeline.length) {
    section.append(h("p", { class: "empty", text: "Nothing logged yet." }));
    return section;
  }
  const list = h("ol", { class: "timeline" });
  for (const it of timeline) {
    const remove = h("button", {
      type: "button",
      class: "btn btn-quiet btn-small",
      text: "Delete",
      "aria-label": `Delete ${kindLabel(it.kind)} on ${formatDate(it.at)}`,
      onclick: async () => {
        if (!confirm(`Delete this ${kindLabel(it.kind).toLowerCase()}?`)) return;
        remove.disabled = true;
        try {
          await api.deleteInteraction(it.id);
          reload();
        } catch (err) {
          remove.disabled = false;
          ctx.toast(err.message);
        }
      },
    });
    list.append(
      h(
        "li",
        { class: "event", "data-kind": it.kind },
        h(
          "div",
          { class: "event-head" },
          h("strong", { text: kindLabel(it.kind) }),
          h("time", { datetime: it.at, text: formatDate(it.at) }),
          it.direction === "in" ? h("span", { class: "tag", text: "they reached out" }) : null,
          it.source && it.source !== "manual" && it.source !== "app"
            ? h("span", { class: "tag tag-none", text: it.source })
            : null,
        ),
        it.note ? h("p", { class: "event-note", text: it.note }) : null,
        it.follow_up
          ? h("p", {
              class: it.follow_up.done ? "event-fu is-done" : "event-fu",
              text: `Follow-up: ${it.follow_up.what}, by ${formatDay(it.follow_up.due_on)}${it.follow_up.done ? " (done)" : ""}`,
            })
          : null,
        remove,
      ),
    );
  }
  section.append(list);
  return section;
}

function editSection(ctx, c, circles, reload) {
  const circle = h(
    "select",
    { id: "edit-circle", name: "circle_id" },
    h("option", { value: "", text: "No circle (no reminders)" }),
    circles.map((ci) => h("option", { value: ci.id, text: `${ci.name} (every ${ci.cadence_days} days)` })),
  );
  circle.value = c.circle_id === null ? "" : String(c.circle_id);
  const cadence = h("input", {
    id: "edit-cadence",
    name: "cadence_override_days",
    type: "number",
    min: 1,
    max: 3650,
    inputmode: "numeric",
    value: c.cadence_override_days ?? "",
    placeholder: "the circle's",
  });
  const kin = h("input", { id: "edit-kin", name: "kin", type: "checkbox", checked: c.kin });
  const note = h("textarea", { id: "edit-note", name: "note", rows: 4, maxlength: 10000 });
  note.value = c.note || "";
  const status = h("div", { role: "status" });
  const archive = h("button", {
    type: "button",
    class: "btn btn-quiet",
    text: c.archived ? "Unarchive" : "Archive",
    onclick: async () => {
      try {
        await (c.archived ? api.unarchiveContact(c.id) : api.archiveContact(c.id));
        reload();
      } catch (err) {
        status.replaceChildren(errorBox(err.message));
      }
    },
  });
  const form = h(
    "form",
    {
      class: "card stack",
      "aria-labelledby": "edit-h",
      onsubmit: async (e) => {
        e.preventDefault();
        status.replaceChildren();
        const wanted = {
          circle_id: circle.value ? Number(circle.value) : null,
          cadence_override_days: cadence.value ? Number(cadence.value) : null,
          kin: kin.checked,
          note: note.value.trim() || null,
        };
        // Send only what changed: the server marks sent fields as edited in Kith, and an edited
        // field is no longer overwritten by the next import.
        const changes = Object.fromEntries(
          Object.entries(wanted).filter(([k, v]) => v !== (c[k] ?? (k === "kin" ? false : null))),
        );
        if (!Object.keys(changes).length) {
          status.append(h("p", { class: "hint", text: "Nothing changed." }));
          return;
        }
        try {
          await api.updateContact(c.id, changes);
          ctx.toast("Saved.");
          reload();
        } catch (err) {
          status.append(errorBox(err.message));
        }
      },
    },
    h("h2", { id: "edit-h", text: "Edit" }),
    h("div", { class: "field" }, h("label", { for: "edit-circle", text: "Circle" }), circle),
    h(
      "div",
      { class: "field" },
      h("label", { for: "edit-cadence", text: "Reconnect every (days)" }),
      cadence,
      h("p", { class: "hint", text: "Leave empty to use the circle's rhythm." }),
    ),
    h(
      "div",
      { class: "field field-check" },
      kin,
      h("label", { for: "edit-kin", text: "Family (kin): the tie fades half as fast" }),
    ),
    h("div", { class: "field" }, h("label", { for: "edit-note", text: "Notes" }), note),
    h("div", { class: "button-row" }, h("button", { type: "submit", class: "btn btn-primary", text: "Save" }), archive),
    status,
  );
  return h("section", { class: "block" }, form);
}
