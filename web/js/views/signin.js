// Sign in; while no account exists, where to find the one-time setup link.

import * as api from "../api.js";
import { add, field, h, submitting } from "../util.js";
import { whereTheLinkIs } from "./setup.js";

/** @param {HTMLElement} root @param {any} ctx */
export async function render(root, ctx) {
  const state = await api.setupStatus().catch(() => ({ open: false }));
  const email = h("input", { id: "signin-email", name: "email", type: "email", autocomplete: "username", required: true, autocapitalize: "none" });
  const password = h("input", { id: "signin-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const status = h("div", { class: "signin-status" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: "Sign in" });
  add(
    root,
    h(
      "section",
      { class: "signin" },
      h("h1", { tabindex: -1, text: "Sign in to Kith" }),
      h("p", { class: "hint", text: "Keep the people who matter close." }),
      state.open
        ? h(
            "div",
            { class: "note setup-note", "data-setup-open": "" },
            h("p", { class: "setup-note-title", text: "No account yet? Create the first one with the setup link." }),
            whereTheLinkIs(),
          )
        : null,
      h(
        "form",
        {
          class: "card stack",
          onsubmit: submitting(submit, status, async () => {
            const me = await api.login(email.value.trim(), password.value);
            password.value = "";
            ctx.signedIn(me);
          }),
        },
        field("signin-email", "Email", email),
        field("signin-password", "Password", password),
        submit,
        status,
      ),
    ),
  );
}
