// A bottom sheet on phones, a centred dialog on desktop: the native <dialog> (focus trap, Esc).

import { clear, h } from "./util.js";

/**
 * Open the sheet. `build(close)` returns the body; call close(value) to resolve with value.
 * Esc, the Cancel button and a tap on the backdrop resolve with null.
 * @template T
 * @param {string} title
 * @param {(close: (value: T|null) => void) => Node} build
 * @returns {Promise<T|null>}
 */
export function openSheet(title, build) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("sheet"));
  if (dialog.open) dialog.close();
  clear(dialog);
  return new Promise((resolve) => {
    let settled = false;
    const close = (value) => {
      if (settled) return;
      settled = true;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const headingId = "sheet-title";
    dialog.setAttribute("aria-labelledby", headingId);
    dialog.append(
      h(
        "div",
        { class: "sheet-body" },
        h("h2", { id: headingId, class: "sheet-title", text: title }),
        build(close),
        h("button", {
          type: "button",
          class: "btn btn-quiet sheet-cancel",
          text: "Cancel",
          onclick: () => close(null),
        }),
      ),
    );
    dialog.onclose = () => close(null);
    dialog.onclick = (e) => {
      if (e.target === dialog) close(null); // a tap on the backdrop
    };
    dialog.showModal();
  });
}
