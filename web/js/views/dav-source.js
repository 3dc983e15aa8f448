// Settings > Nightly imports: a CardDAV address book or CalDAV calendar account. A provider
// picker fills the server URL; "Test connection" lists the collections found (or says why not),
// and the ones ticked are synced every night. The password is sent once and never shown again.

import * as api from "../api.js";
import { busy, errorBox, h } from "../util.js";

// Server URLs each provider documents; Kith discovers the collections from there (RFC 6764).
export const PROVIDERS = {
  icloud: { name: "iCloud", carddav: "https://contacts.icloud.com/", caldav: "https://caldav.icloud.com/", hint: "Use an app-specific password from appleid.apple.com, and your Apple ID email as the username." },
  fastmail: { name: "Fastmail", carddav: "https://carddav.fastmail.com/", caldav: "https://caldav.fastmail.com/", hint: "Use an app password (Settings > Privacy & Security > App passwords)." },
  nextcloud: { name: "Nextcloud", carddav: "https://YOUR-NEXTCLOUD/remote.php/dav/", caldav: "https://YOUR-NEXTCLOUD/remote.php/dav/", hint: "Replace YOUR-NEXTCLOUD with your server's address; an app password is best." },
  other: { name: "Other (Radicale, Baïkal, Synology…)", carddav: "", caldav: "", hint: "The server's address, a /.well-known/carddav URL, or an address book's own URL." },
};

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id, text: label }), control, hint ? h("p", { class: "hint", text: hint }) : null);
}

/** @param {any} ctx */
export function davSourceForm(ctx) {
  const kind = h(
    "select",
    { id: "dav-kind", name: "kind" },
    h("option", { value: "carddav", text: "Contacts (CardDAV)" }),
    h("option", { value: "caldav", text: "Calendar (CalDAV)" }),
  );
  const provider = h(
    "select",
    { id: "dav-provider", name: "provider" },
    Object.entries(PROVIDERS).map(([key, p]) => h("option", { value: key, text: p.name })),
  );
  const location = h("input", { id: "dav-location", name: "location", type: "url", required: true, autocomplete: "off", inputmode: "url" });
  const username = h("input", { id: "dav-username", name: "username", autocomplete: "username" });
  const password = h("input", { id: "dav-password", name: "password", type: "password", autocomplete: "current-password" });
  const hint = h("p", { class: "hint" });
  const found = h("div", { class: "dav-found", role: "status" });
  const status = h("div");
  const fill = () => {
    const p = PROVIDERS[provider.value];
    location.value = p[kind.value];
    hint.textContent = p.hint;
  };
  provider.addEventListener("change", fill);
  kind.addEventListener("change", fill);
  fill();
  const body = () => ({ kind: kind.value, location: location.value.trim(), username: username.value.trim(), password: password.value });
  const test = h("button", {
    type: "button",
    class: "btn",
    text: "Test connection",
    onclick: () =>
      busy(test, async () => {
        found.replaceChildren(h("p", { class: "hint", text: "Connecting…" }));
        try {
          const answer = await api.testSource(body());
          if (!answer.ok) {
            found.replaceChildren(errorBox(`Cannot connect: ${answer.error}`));
            return;
          }
          const list = h("ul", { class: "dav-collections" });
          for (const c of answer.collections) {
            const id = `dav-c-${list.children.length}`;
            list.append(
              h("li", {}, h("input", { type: "checkbox", id, value: c.href, checked: true, "data-collection": c.href }), h("label", { for: id, text: ` ${c.name}` })),
            );
          }
          found.replaceChildren(h("p", { class: "ok", text: `Found ${answer.collections.length}: tick the ones to import every night.` }), list);
        } catch (err) {
          found.replaceChildren(errorBox(err.message));
        }
      }),
  });
  return h(
    "details",
    {},
    h("summary", { text: "Add contacts or a calendar from a server (CardDAV, CalDAV)" }),
    h(
      "form",
      {
        class: "stack",
        id: "dav-form",
        onsubmit: async (e) => {
          e.preventDefault();
          status.replaceChildren();
          const data = body();
          const ticked = [...found.querySelectorAll("input[data-collection]")];
          if (ticked.length) data.collections = ticked.filter((t) => t.checked).map((t) => t.value);
          try {
            await api.addSource(data);
            ctx.navigate("#/settings", { replace: true });
          } catch (err) {
            status.append(errorBox(err.message));
          }
        },
      },
      field("dav-kind", "What", kind),
      field("dav-provider", "Provider", provider),
      hint,
      field("dav-location", "Server URL", location),
      field("dav-username", "Username", username),
      field("dav-password", "Password", password, "Stored encrypted; never shown again."),
      h("div", { class: "button-row" }, test, h("button", { type: "submit", class: "btn btn-primary", text: "Add source" })),
      found,
      status,
    ),
  );
}
