// Settings: time zone, caps, weekday factors, alarm hour; nightly import sources; sign out.

import * as api from "../api.js";
import { add, errorBox, formatTime, h } from "../util.js";
import { davSourceForm } from "./dav-source.js";

const KIND_NAMES = { url: "URL", folder: "Folder", carddav: "Contacts server", caldav: "Calendar server" };

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** @param {HTMLElement} root @param {any} ctx */
export async function render(root, ctx) {
  const optional = (p) => p.catch((err) => ({ failed: err }));
  const [me, sources, nightly] = await Promise.all([api.me(), optional(api.listSources()), optional(api.nightly())]);
  add(
    root,
    h("header", { class: "view-head" }, h("h1", { tabindex: -1, text: "Settings" }), h("p", { class: "sub", text: me.email })),
    scheduleForm(ctx, me),
    sourcesSection(ctx, sources, nightly),
    h(
      "section",
      { class: "block" },
      h("button", {
        type: "button",
        class: "btn",
        text: "Sign out",
        onclick: () => ctx.signOut(),
      }),
    ),
  );
}

function field(id, label, control, hint) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: label }),
    control,
    hint ? h("p", { class: "hint", text: hint }) : null,
  );
}

function scheduleForm(ctx, me) {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  if (!zones.includes(me.timezone)) zones.unshift(me.timezone);
  if (!zones.includes("UTC")) zones.unshift("UTC");
  const tz = h("select", { id: "set-tz", name: "timezone" }, zones.map((z) => h("option", { value: z, text: z })));
  tz.value = me.timezone;
  const perDay = h("input", { id: "set-day", type: "number", min: 1, max: 50, inputmode: "numeric", value: me.per_day_cap, required: true });
  const perWeek = h("input", { id: "set-week", type: "number", min: 1, max: 200, inputmode: "numeric", value: me.per_week_cap, required: true });
  const factors = DAYS.map((d, i) =>
    h("input", {
      id: `set-f${i}`,
      type: "number",
      min: 0,
      max: 1,
      step: 0.1,
      inputmode: "decimal",
      value: me.weekday_factors[i],
      required: true,
      "aria-label": `${d} factor`,
    }),
  );
  const alarm = h(
    "select",
    { id: "set-alarm", name: "alarm_hour" },
    h("option", { value: "", text: "No alarm" }),
    Array.from({ length: 24 }, (_, hr) => h("option", { value: hr, text: `${String(hr).padStart(2, "0")}:00` })),
  );
  alarm.value = me.alarm_hour === null ? "" : String(me.alarm_hour);
  const status = h("div", { role: "status" });
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return h(
    "form",
    {
      class: "block card stack",
      "aria-labelledby": "sched-h",
      onsubmit: async (e) => {
        e.preventDefault();
        status.replaceChildren();
        try {
          const updated = await api.updateSettings({
            timezone: tz.value,
            per_day_cap: Number(perDay.value),
            per_week_cap: Number(perWeek.value),
            weekday_factors: factors.map((f) => Number(f.value)),
            alarm_hour: alarm.value === "" ? null : Number(alarm.value),
          });
          ctx.setMe(updated);
          status.append(h("p", { class: "ok", text: "Saved. Reminders are being re-planned." }));
        } catch (err) {
          status.append(errorBox(err.message));
        }
      },
    },
    h("h2", { id: "sched-h", text: "Reminders" }),
    h("p", { class: "hint", text: "Kith never puts more than this many reconnects in your calendar." }),
    field("set-tz", "Time zone", tz, here && here !== me.timezone ? `This device is in ${here}.` : null),
    h(
      "div",
      { class: "field-pair" },
      field("set-day", "Daily limit", perDay),
      field("set-week", "Weekly limit", perWeek),
    ),
    h(
      "fieldset",
      { class: "weekdays" },
      h("legend", { text: "How much each weekday suits reconnecting (0 = never, 1 = fully)" }),
      h(
        "div",
        { class: "weekday-grid" },
        DAYS.map((d, i) => h("label", { class: "weekday", for: `set-f${i}` }, h("span", { text: d }), factors[i])),
      ),
    ),
    field("set-alarm", "Calendar alarm", alarm, "A reminder alert at this hour on the day, in your calendar app."),
    h("button", { type: "submit", class: "btn btn-primary", text: "Save" }),
    status,
  );
}

function sourcesSection(ctx, sources, nightly) {
  const section = h(
    "section",
    { class: "block card stack", "aria-labelledby": "src-h" },
    h("h2", { id: "src-h", text: "Nightly imports" }),
  );
  if (nightly && !nightly.failed) {
    const text = nightly.last_run
      ? `Last nightly run ${formatTime(nightly.last_run)}: ${nightly.status}.`
      : "The nightly job has not run yet.";
    section.append(h("p", { class: nightly.alert ? "note note-warn" : "hint", text: nightly.alert || text }));
  }
  if (sources.failed) {
    const missing = sources.failed.status === 404;
    section.append(errorBox(missing ? "This server does not offer nightly imports yet." : sources.failed.message));
    return section;
  }
  const list = h("ul", { class: "sources" });
  for (const s of sources) list.append(sourceRow(s));
  section.append(
    sources.length ? list : h("p", { class: "empty", text: "No sources. Add a folder or a URL that holds an export; Kith re-imports it every night." }),
    addSourceForm(ctx),
    davSourceForm(ctx),
  );
  return section;
}

function countsText(c) {
  const parts = [`${c.new || 0} new`, `${c.updated || 0} updated`];
  if (c.archived) parts.push(`${c.archived} archived`);
  if (c.interactions) parts.push(`${c.interactions} meetings`);
  return parts.join(", ");
}

function sourceRow(s) {
  const status = h("p", {
    class: s.last_status === "failed" ? "error" : "hint",
    text: s.last_run_at
      ? `Last run ${formatTime(s.last_run_at)}: ${s.last_status}${s.last_counts && s.last_status !== "failed" ? ` (${countsText(s.last_counts)})` : ""}${s.last_error ? ` (${s.last_error})` : ""}`
      : "Not run yet.",
  });
  const collections = (s.collections || []).length
    ? h("ul", { class: "dav-collections" }, s.collections.map((c) => h("li", { text: c.name, title: c.href })))
    : null;
  const li = h(
    "li",
    { class: "source", "data-source-id": s.id },
    h("strong", { text: s.label || s.location }),
    h("span", { class: "sub", text: `${KIND_NAMES[s.kind] || s.kind}: ${s.location}${s.username ? ` as ${s.username}` : s.format ? ` (${s.format})` : ""}` }),
    collections,
    status,
  );
  const run = h("button", {
    type: "button",
    class: "btn",
    text: "Run now",
    "aria-label": `Run now: ${s.label || s.location}`,
    onclick: async () => {
      run.disabled = true;
      status.textContent = "Running…";
      try {
        // A queued job: show its state until its run ends, then the report.
        const report = await api.untilFinished(await api.runSource(s.id), (r) => {
          status.textContent = r.status === "queued" ? "Queued…" : "Running…";
        });
        const c = report.counts || {};
        status.textContent =
          report.status === "ok"
            ? `Done: ${countsText(c)}, ${(report.issues || []).length} issues.`
            : report.status === "skipped"
              ? "Done: unchanged since the last run."
              : `Failed: ${report.error}`;
      } catch (err) {
        status.textContent = err.message;
      } finally {
        run.disabled = false;
      }
    },
  });
  const remove = h("button", {
    type: "button",
    class: "btn btn-quiet",
    text: "Remove",
    "aria-label": `Remove ${s.label || s.location}`,
    onclick: async () => {
      if (!confirm(`Stop importing ${s.label || s.location} every night?`)) return;
      try {
        await api.deleteSource(s.id);
        li.remove();
      } catch (err) {
        li.append(errorBox(err.message));
      }
    },
  });
  li.append(h("div", { class: "button-row" }, run, remove));
  if ((s.last_error || "").includes("re-enter the password")) li.append(passwordForm(s, status));
  return li;
}

// The secret key changed, so the sealed password no longer opens: ask for it again.
function passwordForm(s, status) {
  const input = h("input", { type: "password", autocomplete: "current-password", "aria-label": `New password for ${s.label || s.location}` });
  return h(
    "form",
    {
      class: "button-row",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api.setSourcePassword(s.id, input.value);
          status.textContent = "Password saved. Run the source to check it.";
        } catch (err) {
          status.textContent = err.message;
        }
      },
    },
    input,
    h("button", { type: "submit", class: "btn", text: "Save password" }),
  );
}

function addSourceForm(ctx) {
  const kind = h(
    "select",
    { id: "src-kind", name: "kind" },
    h("option", { value: "url", text: "A URL (https)" }),
    h("option", { value: "folder", text: "A folder on the server" }),
  );
  const location = h("input", { id: "src-location", name: "location", required: true, autocomplete: "off" });
  const label = h("input", { id: "src-label", name: "label", autocomplete: "off" });
  const status = h("div");
  return h(
    "details",
    {},
    h("summary", { text: "Add a source" }),
    h(
      "form",
      {
        class: "stack",
        onsubmit: async (e) => {
          e.preventDefault();
          status.replaceChildren();
          const body = { kind: kind.value, location: location.value.trim() };
          if (label.value.trim()) body.label = label.value.trim();
          try {
            await api.addSource(body);
            ctx.navigate("#/settings", { replace: true });
          } catch (err) {
            status.append(errorBox(err.message));
          }
        },
      },
      field("src-kind", "Kind", kind),
      field("src-location", "Where", location, "A URL of an export, or a folder path on the server (new files there are imported)."),
      field("src-label", "Name (optional)", label),
      h("button", { type: "submit", class: "btn btn-primary", text: "Add source" }),
      status,
    ),
  );
}
