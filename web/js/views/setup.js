// First run: "Create your account" from the one-time link `kith serve` prints (DESIGN.md section 10).

import * as api from "../api.js";
import { add, errorBox, field, h, submitting } from "../util.js";

/** Where the link comes from, said the same way here and on the sign-in screen. */
export function whereTheLinkIs() {
  return h(
    "p",
    { class: "hint setup-where" },
    "The one-time link is printed in the terminal running ",
    h("code", { text: "kith serve" }),
    " (or ",
    h("code", { text: "make run" }),
    "); ",
    h("code", { text: "kith setup-link" }),
    " prints it again.",
  );
}

/** The browser's IANA time zone, e.g. "Europe/Berlin". */
export function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The country of the browser's language ("en-GB" gives GB, "de" gives DE), or "". */
export function browserRegion() {
  for (const tag of navigator.languages || [navigator.language]) {
    try {
      const region = new Intl.Locale(tag).maximize().region;
      if (region && /^[A-Z]{2}$/.test(region)) return region;
    } catch {
      // an odd language tag: try the next
    }
  }
  return "";
}

function timeZones(current) {
  const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set([current, "UTC", ...zones])].sort();
}

/** @param {HTMLElement} root @param {any} ctx @param {string} code */
export async function render(root, ctx, code) {
  const section = h("section", { class: "signin setup" }, h("h1", { tabindex: -1, text: "Create your account" }));
  add(root, section);
  const state = code ? await api.setupStatus(code) : { open: true, code_valid: false };
  if (!state.open) {
    add(
      section,
      h("p", { class: "note", text: "Kith already has an account, so this link is used up." }),
      h("a", { class: "btn btn-primary", href: "#/signin", text: "Go to sign in" }),
    );
    return;
  }
  if (!state.code_valid) {
    add(
      section,
      errorBox(code ? "This setup link is not the current one." : "This page needs the setup link."),
      whereTheLinkIs(),
    );
    return;
  }
  const zone = browserTimeZone();
  const email = h("input", { id: "setup-email", name: "email", type: "email", autocomplete: "username", required: true, autocapitalize: "none" });
  const password = h("input", {
    id: "setup-password",
    name: "password",
    type: "password",
    autocomplete: "new-password",
    required: true,
    minlength: 10,
    "aria-describedby": "setup-password-hint",
  });
  const timezone = h(
    "select",
    { id: "setup-timezone", name: "timezone" },
    timeZones(zone).map((z) => h("option", { value: z, text: z.replace(/_/g, " ") })),
  );
  timezone.value = zone;
  const region = h("input", {
    id: "setup-region",
    name: "region",
    type: "text",
    maxlength: 2,
    pattern: "[A-Za-z]{2}",
    autocomplete: "country",
    autocapitalize: "characters",
    spellcheck: "false",
    value: browserRegion(),
    "aria-describedby": "setup-region-hint",
  });
  const status = h("div", { class: "signin-status" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: "Create account" });
  add(
    section,
    h("p", { class: "hint", text: "The first account of this Kith. Your time zone and country come from this browser; change them if they are wrong." }),
    h(
      "form",
      {
        class: "card stack",
        onsubmit: submitting(submit, status, async () => {
          const me = await api.setup({
            code,
            email: email.value.trim(),
            password: password.value,
            timezone: timezone.value,
            region: region.value.trim().toUpperCase(),
          });
          password.value = "";
          ctx.signedIn(me);
        }),
      },
      field("setup-email", "Email", email),
      field("setup-password", "Password", password, "10 characters or more."),
      field("setup-timezone", "Time zone", timezone),
      field("setup-region", "Country", region, "Two letters, e.g. DE: phone numbers without a country code are read in it."),
      submit,
      status,
    ),
  );
}
