// Triage: put freshly imported people into a circle, one tap each.

import * as api from "../api.js";
import { add, avatar, errorBox, h } from "../util.js";

/** @param {HTMLElement} root @param {any} ctx */
export async function render(root, ctx) {
  const [page, circles] = await Promise.all([
    api.listContacts({ untriaged: true, limit: 50 }),
    api.listCircles(),
  ]);
  let left = page.total;
  const count = h("p", { class: "sub", role: "status" });
  const list = h("ul", { class: "triage-list", "aria-label": "People without a circle" });
  const setCount = () => {
    count.textContent =
      left === 0 ? "Everyone has a circle." : left === 1 ? "1 person left" : `${left} people left`;
  };
  setCount();

  for (const c of page.items) list.append(card(c));
  add(
    root,
    h("header", { class: "view-head" }, h("h1", { tabindex: -1, text: "Triage" }), count),
    h("p", {
      class: "hint",
      text: "Pick a circle for each person. Only people in a circle get reminders; Archive keeps them out of the way.",
    }),
    list,
    page.total > page.items.length
      ? h("p", { class: "hint", text: "More will appear when these are done." })
      : null,
    page.total === 0 ? await emptyState() : null,
  );

  function card(c) {
    const status = h("div", { class: "triage-status" });
    const sub = [c.title, c.organization, c.emails[0]].filter(Boolean).join(" · ");
    const li = h(
      "li",
      { class: "card triage-card", "data-contact-id": c.id },
      h(
        "div",
        { class: "person-head" },
        avatar(c, api.photoUrl(c.id)),
        h(
          "div",
          { class: "person-id" },
          h("a", { class: "person-name", href: `#/contact/${c.id}`, text: c.full_name }),
          sub ? h("p", { class: "person-meta", text: sub }) : null,
        ),
      ),
    );
    const buttons = circles.map((ci) =>
      h(
        "button",
        {
          type: "button",
          class: "btn",
          "data-circle-id": ci.id,
          onclick: () => place(() => api.updateContact(c.id, { circle_id: ci.id }), `In ${ci.name}.`),
        },
        h("span", { text: ci.name }),
        h("span", { class: "cadence", text: rhythm(ci.cadence_days) }),
      ),
    );
    buttons.push(
      h("button", {
        type: "button",
        class: "btn btn-quiet",
        "aria-label": `Archive ${c.full_name}`,
        text: "Archive",
        onclick: () => place(() => api.archiveContact(c.id), "Archived."),
      }),
    );
    li.append(
      h("div", { class: "circle-grid", role: "group", "aria-label": `Circle for ${c.full_name}` }, buttons),
      status,
    );

    async function place(work, doneText) {
      buttons.forEach((b) => (b.disabled = true));
      status.replaceChildren();
      try {
        await work();
        left -= 1;
        setCount();
        ctx.toast(`${c.full_name}: ${doneText}`);
        const next = li.nextElementSibling;
        li.remove();
        // Keep the thumb where it is: focus moves to the next person's first circle.
        const focusTarget = next && next.querySelector("button");
        if (focusTarget) focusTarget.focus({ preventScroll: true });
        if (!list.children.length && left > 0) ctx.navigate("#/triage", { replace: true });
      } catch (err) {
        buttons.forEach((b) => (b.disabled = false));
        status.append(errorBox(err.message));
      }
    }
    return li;
  }
}

/** Nobody left to place: either nobody was imported yet, or everyone has a circle. */
async function emptyState() {
  const any = await api.listContacts({ limit: 1 }).catch(() => ({ total: 1 }));
  if (!any.total) {
    return h(
      "p",
      { class: "empty", "data-empty": "triage" },
      "Nobody to place yet: ",
      h("a", { href: "#/import", text: "import your contacts" }),
      " first, and they wait here for a circle.",
    );
  }
  return h(
    "p",
    { class: "empty", "data-empty": "triage" },
    "Everyone has a circle: ",
    h("a", { href: "#/today", text: "Today" }),
    " shows who to reconnect with.",
  );
}

/** "weekly", "monthly", "every 3 months", "yearly": how often a circle is reconnected with. */
export function rhythm(days) {
  if (days === 7) return "weekly";
  if (days < 28) return `every ${days} days`;
  if (days >= 360 && days <= 370) return "yearly";
  const months = Math.round(days / 30.4);
  return months === 1 ? "monthly" : `every ${months} months`;
}
