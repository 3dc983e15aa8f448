// Import: upload an export, read its report (every issue with its line), past imports,
// and the people you meet in calendar imports but have not added.

import * as api from "../api.js";
import { add, clear, errorBox, formatTime, h } from "../util.js";

const FORMATS = [
  ["auto", "Detect automatically"],
  ["vcard", "vCard (.vcf)"],
  ["google-csv", "Google Contacts CSV"],
  ["outlook-csv", "Outlook CSV"],
  ["linkedin-csv", "LinkedIn Connections.csv"],
  ["thunderbird-csv", "Thunderbird CSV"],
  ["ics", "Calendar (.ics)"],
];

const COUNT_LABELS = [
  ["new", "new"],
  ["updated", "updated"],
  ["unchanged", "unchanged"],
  ["archived", "archived"],
  ["skipped", "skipped"],
  ["interactions", "interactions"],
];

/** @param {HTMLElement} root @param {any} ctx */
export async function render(root, ctx) {
  const result = h("div", { class: "import-result", "aria-live": "polite" });
  const below = h("div");
  const refresh = async () => {
    const optional = (p) => p.catch((err) => ({ failed: err }));
    const [history, people] = await Promise.all([
      optional(api.listImports()),
      optional(api.peopleYouMeet()),
    ]);
    add(clear(below), peopleSection(ctx, people), historySection(history));
  };
  await refresh();
  add(
    root,
    h("header", { class: "view-head" }, h("h1", { tabindex: -1, text: "Import" })),
    uploadForm(result, refresh),
    result,
    below,
  );
}

function uploadForm(result, refresh) {
  const file = h("input", {
    id: "import-file",
    name: "file",
    type: "file",
    required: true,
    accept: ".vcf,.vcard,.csv,.ics,.txt,text/vcard,text/csv,text/calendar",
  });
  const format = h(
    "select",
    { id: "import-format", name: "format" },
    FORMATS.map(([v, label]) => h("option", { value: v, text: label })),
  );
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: "Import" });
  return h(
    "form",
    {
      class: "card stack",
      onsubmit: async (e) => {
        e.preventDefault();
        if (!file.files || !file.files[0]) return;
        submit.disabled = true;
        submit.textContent = "Importing…";
        result.replaceChildren();
        try {
          const queued = await api.uploadImport(file.files[0], format.value);
          // A large file is imported by a background job: say so until its run ends.
          const waiting = h("p", { class: "hint import-waiting", role: "status" });
          const report = await api.untilFinished(queued, (r) => {
            waiting.textContent = r.status === "queued" ? "Queued: the import starts in a moment…" : "Importing in the background…";
            submit.textContent = r.status === "queued" ? "Queued…" : "Importing…";
            if (!waiting.isConnected) result.replaceChildren(waiting);
          });
          waiting.remove();
          result.append(reportView(report, true));
          file.value = "";
          refresh().catch(() => {});
        } catch (err) {
          result.append(errorBox(`Import failed: ${err.message}`));
        } finally {
          submit.disabled = false;
          submit.textContent = "Import";
        }
      },
    },
    h(
      "p",
      { class: "hint", text: "Contacts from your phone, iCloud, Google, Outlook or LinkedIn (.vcf or .csv), or a calendar export (.ics) to count meetings. Importing the same file twice changes nothing." },
    ),
    h("div", { class: "field" }, h("label", { for: "import-file", text: "File" }), file),
    h("div", { class: "field" }, h("label", { for: "import-format", text: "Format" }), format),
    submit,
  );
}

const WAITING = { queued: "Queued", running: "Importing…" };

/**
 * The report of one import: counts, then each issue with its line.
 * @param {any} report ImportReport
 */
export function reportView(report, fresh = false) {
  const ok = report.status === "ok";
  const waiting = Object.hasOwn(WAITING, report.status); // a background job not finished yet (history)
  const counts = h("ul", { class: "counts" });
  for (const [key, label] of COUNT_LABELS) {
    const n = report.counts ? report.counts[key] : 0;
    if (!n && key !== "new") continue;
    counts.append(h("li", { "data-count": key }, h("strong", { text: n || 0 }), ` ${label}`));
  }
  const section = h(
    "section",
    { class: ok || waiting ? "card report" : "card report report-failed", "data-import-id": report.id },
    h(fresh ? "h2" : "h3", { text: ok ? "Imported" : waiting ? WAITING[report.status] : "Import failed" }),
    h("p", { class: "report-file", text: report.filename || "upload" }),
    h("p", { class: "sub", text: [report.format, formatTime(report.finished_at || report.started_at)].filter(Boolean).join(" · ") }),
    report.error ? errorBox(report.error) : null,
    counts,
  );
  const issues = report.issues || [];
  if (issues.length) {
    const list = h("ol", { class: "issues" });
    for (const issue of issues) {
      list.append(
        h(
          "li",
          { class: "issue" },
          h("span", { class: "issue-line", text: issue.line ? `line ${issue.line}` : "file" }),
          h("span", { class: "issue-msg", text: issue.message }),
        ),
      );
    }
    const title = issues.length === 1 ? "1 issue" : `${issues.length} issues`;
    section.append(h("h4", { class: "issues-h", text: `${title}; everything else was imported` }), list);
  } else if (ok) {
    section.append(h("p", { class: "hint", text: "No issues." }));
  }
  if (fresh && ok && report.counts && report.counts.new) {
    section.append(h("p", {}, h("a", { href: "#/triage", class: "btn btn-primary", text: "Put the new people in circles" })));
  }
  return section;
}

function peopleSection(ctx, people) {
  if (people.failed || !people.length) return null;
  const list = h("ul", { class: "people people-compact" });
  for (const p of people) {
    const li = h(
      "li",
      { class: "person meet" },
      h(
        "div",
        { class: "person-id" },
        h("span", { class: "person-name", text: p.name || p.email }),
        h("span", { class: "person-meta", text: `${p.email} · ${p.meetings === 1 ? "1 meeting" : `${p.meetings} meetings`}` }),
      ),
    );
    const act = (text, label, work) =>
      h("button", {
        type: "button",
        class: "btn",
        text,
        "aria-label": label,
        onclick: async (e) => {
          const b = e.currentTarget;
          b.disabled = true;
          try {
            const out = await work();
            li.replaceChildren(
              out && out.id
                ? h("p", {}, "Added ", h("a", { href: `#/contact/${out.id}`, text: out.full_name }))
                : h("p", { class: "sub", text: `Dismissed ${p.email}` }),
            );
          } catch (err) {
            b.disabled = false;
            li.append(errorBox(err.message));
          }
        },
      });
    li.append(
      h(
        "div",
        { class: "person-actions" },
        act("Add", `Add ${p.name || p.email}`, () => api.addPerson(p.id)),
        act("Dismiss", `Dismiss ${p.name || p.email}`, async () => {
          await api.dismissPerson(p.id);
          return null;
        }),
      ),
    );
    list.append(li);
  }
  return h(
    "section",
    { class: "block" },
    h("h2", { text: "People you meet but have not added" }),
    h("p", { class: "hint", text: "From your calendar imports, most meetings first." }),
    list,
  );
}

function historySection(history) {
  if (history.failed || !history.length) return null;
  return h(
    "section",
    { class: "block" },
    h("details", {}, h("summary", { text: `Earlier imports (${history.length})` }), history.map((r) => reportView(r))),
  );
}
