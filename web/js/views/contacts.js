// Contacts: search, filter by circle and health, add a person.

import * as api from "../api.js";
import { add, avatar, debounce, errorBox, h, healthMeter, lastSeen, loading } from "../util.js";

const PAGE = 50;
// Filters survive a trip to a contact and back.
const filters = { q: "", circle: "", health: "" };

const HEALTH = {
  "": {},
  fading: { health_max: 39 },
  okay: { health_min: 40, health_max: 69 },
  strong: { health_min: 70 },
};

/** @param {HTMLElement} root @param {any} ctx */
export async function render(root, ctx) {
  const circles = await api.listCircles();
  const search = h("input", {
    id: "contacts-q",
    type: "search",
    name: "q",
    autocomplete: "off",
    placeholder: "Name, email, company",
    value: filters.q,
  });
  const circle = h(
    "select",
    { id: "contacts-circle", name: "circle" },
    h("option", { value: "", text: "All circles" }),
    h("option", { value: "none", text: "No circle yet" }),
    circles.map((c) => h("option", { value: c.id, text: c.name })),
  );
  circle.value = filters.circle;
  const health = h(
    "select",
    { id: "contacts-health", name: "health" },
    h("option", { value: "", text: "Any health" }),
    h("option", { value: "fading", text: "Fading (39 and below)" }),
    h("option", { value: "okay", text: "Okay (40 to 69)" }),
    h("option", { value: "strong", text: "Strong (70 and up)" }),
  );
  health.value = filters.health;
  const count = h("p", { class: "sub", role: "status" });
  const list = h("ul", { class: "people people-compact", "aria-label": "Contacts" });
  const more = h("button", { type: "button", class: "btn btn-quiet more", text: "Show more", hidden: true });
  let offset = 0;
  let seq = 0;

  async function load(append = false) {
    const mySeq = ++seq;
    if (!append) {
      offset = 0;
      list.replaceChildren(h("li", {}, loading()));
    }
    const params = { q: filters.q.trim(), limit: PAGE, offset, ...HEALTH[filters.health] };
    if (filters.circle === "none") params.untriaged = true;
    else if (filters.circle) params.circle_id = filters.circle;
    try {
      const page = await api.listContacts(params);
      if (mySeq !== seq) return;
      if (!append) list.replaceChildren();
      for (const c of page.items) list.append(item(c));
      offset += page.items.length;
      count.textContent = page.total === 1 ? "1 person" : `${page.total} people`;
      more.hidden = offset >= page.total;
      if (!page.total) list.append(emptyState());
    } catch (err) {
      if (mySeq === seq) list.replaceChildren(h("li", {}, errorBox(err.message)));
    }
  }

  const reload = debounce(() => load(), 250);
  search.addEventListener("input", () => {
    filters.q = search.value;
    reload();
  });
  circle.addEventListener("change", () => {
    filters.circle = circle.value;
    load();
  });
  health.addEventListener("change", () => {
    filters.health = health.value;
    load();
  });
  more.addEventListener("click", () => load(true));

  add(
    root,
    h("header", { class: "view-head" }, h("h1", { tabindex: -1, text: "People" }), count),
    h(
      "form",
      { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
      h("div", { class: "field field-wide" }, h("label", { for: "contacts-q", text: "Search" }), search),
      h("div", { class: "field" }, h("label", { for: "contacts-circle", text: "Circle" }), circle),
      h("div", { class: "field" }, h("label", { for: "contacts-health", text: "Health" }), health),
    ),
    list,
    more,
    addForm(ctx, circles),
  );
  await load();
}

/** No filter and nobody at all says what to do next; a filter that matches nobody says so. */
function emptyState() {
  const filtered = filters.q.trim() || filters.circle || filters.health;
  if (filtered) return h("li", { class: "empty", text: "Nobody matches." });
  return h(
    "li",
    { class: "empty", "data-empty": "people" },
    "Nobody here yet: ",
    h("a", { href: "#/import", text: "import your contacts" }),
    " from your phone or Google, or add a person below.",
  );
}

function item(c) {
  return h(
    "li",
    { class: "person", "data-contact-id": c.id },
    h(
      "a",
      { class: "person-head person-link", href: `#/contact/${c.id}` },
      avatar(c, api.photoUrl(c.id)),
      h(
        "span",
        { class: "person-id" },
        h("span", { class: "person-name", text: c.full_name }),
        h(
          "span",
          { class: "person-meta" },
          h("span", { class: c.circle ? "tag" : "tag tag-none", text: c.circle || "No circle" }),
          h("span", { class: "last", text: lastSeen(c.last_kind, c.last_at) }),
        ),
      ),
      healthMeter(c.health),
    ),
  );
}

function addForm(ctx, circles) {
  const name = h("input", { id: "new-name", name: "full_name", required: true, autocomplete: "off" });
  const email = h("input", { id: "new-email", name: "email", type: "email", autocomplete: "off" });
  const phone = h("input", { id: "new-phone", name: "phone", type: "tel", autocomplete: "off" });
  const circle = h(
    "select",
    { id: "new-circle", name: "circle_id" },
    h("option", { value: "", text: "Decide later" }),
    circles.map((c) => h("option", { value: c.id, text: c.name })),
  );
  const status = h("div");
  const form = h(
    "form",
    {
      class: "card stack",
      onsubmit: async (e) => {
        e.preventDefault();
        status.replaceChildren();
        const body = { full_name: name.value.trim() };
        if (email.value.trim()) body.emails = [email.value.trim()];
        if (phone.value.trim()) body.phones = [phone.value.trim()];
        if (circle.value) body.circle_id = Number(circle.value);
        try {
          const c = await api.createContact(body);
          ctx.navigate(`#/contact/${c.id}`);
        } catch (err) {
          status.append(errorBox(err.message));
        }
      },
    },
    h("div", { class: "field" }, h("label", { for: "new-name", text: "Name" }), name),
    h("div", { class: "field" }, h("label", { for: "new-email", text: "Email (optional)" }), email),
    h("div", { class: "field" }, h("label", { for: "new-phone", text: "Phone (optional)" }), phone),
    h("div", { class: "field" }, h("label", { for: "new-circle", text: "Circle" }), circle),
    h("button", { type: "submit", class: "btn btn-primary", text: "Add" }),
    status,
  );
  return h("details", { class: "add-person" }, h("summary", { text: "Add a person" }), form);
}
