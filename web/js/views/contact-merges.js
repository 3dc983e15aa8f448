// A contact's possible duplicates: merge (with undo) or dismiss each suggestion.

import * as api from "../api.js";
import { errorBox, h } from "../util.js";

/** @param {any} ctx @param {any} c @param {any} merges */
export function mergeSection(ctx, c, merges) {
  if (merges.failed || !Array.isArray(merges)) return null;
  const mine = merges.filter((m) => m.a.id === c.id || m.b.id === c.id);
  if (!mine.length) return null;
  const list = h("ul", { class: "merges" });
  for (const m of mine) {
    const other = m.a.id === c.id ? m.b : m.a;
    const li = h(
      "li",
      { class: "merge" },
      h(
        "p",
        {},
        "Maybe the same person as ",
        h("a", { href: `#/contact/${other.id}`, text: other.full_name }),
        h("span", { class: "sub", text: ` (${m.reason})` }),
      ),
    );
    const keep = h("button", {
      type: "button",
      class: "btn btn-primary",
      text: "Merge, keep this one",
      onclick: async () => {
        keep.disabled = true;
        try {
          const res = await api.merge(m.id, c.id);
          ctx.toast(`Merged into ${res.contact.full_name}.`, {
            label: "Undo",
            run: async () => {
              try {
                await api.undoMerge(res.undo_id);
              } catch (err) {
                // 409: fields were edited since the merge; undoing puts them back, so ask first.
                if (!(err instanceof api.ApiError) || err.status !== 409) throw err;
                if (!confirm(`${err.message}. Undo the merge anyway?`)) return;
                await api.undoMerge(res.undo_id, { discard_edits: true });
              }
              ctx.navigate(`#/contact/${c.id}`, { replace: true });
            },
          });
          ctx.navigate(`#/contact/${res.contact.id}`, { replace: true });
        } catch (err) {
          keep.disabled = false;
          li.append(errorBox(err.message));
        }
      },
    });
    const dismiss = h("button", {
      type: "button",
      class: "btn",
      text: "Not the same",
      onclick: async () => {
        dismiss.disabled = true;
        try {
          await api.dismissMerge(m.id);
          li.remove();
        } catch (err) {
          dismiss.disabled = false;
          li.append(errorBox(err.message));
        }
      },
    });
    li.append(h("div", { class: "button-row" }, keep, dismiss));
    list.append(li);
  }
  return h("section", { class: "block card" }, h("h2", { text: "Possible duplicates" }), list);
}
