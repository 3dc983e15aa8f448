// Calendar: subscribe to the reminder feed (webcal, https, Google, Outlook, QR), rotate the link.

import * as api from "../api.js";
import { add, clear, errorBox, formatTime, h, safeHref } from "../util.js";

/** @param {HTMLElement} root @param {any} ctx */
export async function render(root, ctx) {
  const feed = await api.feed();
  const body = h("div", { class: "feed" });
  add(
    root,
    h("header", { class: "view-head" }, h("h1", { tabindex: -1, text: "Calendar" })),
    h("p", {
      class: "hint",
      text: "Subscribe once and your reconnect reminders appear in your own calendar. The link is private: anyone who has it can read the feed.",
    }),
    feed.last_fetched_at
      ? null
      : h("p", {
          class: "empty calendar-next",
          "data-empty": "calendar",
          text: "No calendar has fetched this feed yet: tap the button for your calendar app below, or paste the https link into it.",
        }),
    body,
  );
  fill(ctx, body, feed);
}

function fill(ctx, body, feed) {
  if (feed.key_changed) {
    // The server's secret key changed: the link cannot be shown again (calendars subscribed to
    // it still work); only a new link can be subscribed to from here.
    add(
      clear(body),
      h(
        "section",
        { class: "block card stack", "data-key-changed": "" },
        h("h2", { text: "Make a new link" }),
        h("p", { class: "note note-warn", role: "alert", text: feed.warning }),
        rotateButton(ctx, body),
      ),
    );
    return;
  }
  add(
    clear(body),
    h(
      "section",
      { class: "block card stack" },
      h("h2", { text: "On this phone" }),
      linkButton(feed.webcal_url, "Subscribe on iPhone or Mac", "btn btn-primary", "webcal"),
      linkButton(feed.google_url, "Add to Google Calendar", "btn", "google"),
      linkButton(feed.outlook_url, "Add to Outlook.com", "btn", "outlook"),
      linkButton(feed.outlook_work_url, "Add to Outlook for work", "btn", "outlook-work"),
    ),
    h(
      "section",
      { class: "block card stack" },
      h("h2", { text: "Links" }),
      copyField("feed-webcal", "webcal link", feed.webcal_url, ctx),
      copyField("feed-https", "https link (other calendar apps)", feed.https_url, ctx),
    ),
    qrSection(feed),
    h(
      "section",
      { class: "block card stack" },
      h("h2", { text: "Status" }),
      h("p", { class: "fetched", "data-last-fetched": feed.last_fetched_at || "" }, fetchedText(feed)),
      h("p", { class: "hint", text: `Link created ${formatTime(feed.created_at)}.` }),
      rotateButton(ctx, body),
    ),
  );
}

function fetchedText(feed) {
  if (!feed.last_fetched_at) return "No calendar has fetched the feed yet.";
  const who = feed.last_user_agent ? ` by ${clientName(feed.last_user_agent)}` : "";
  return `Last fetched ${formatTime(feed.last_fetched_at)}${who}.`;
}

/** A readable name for the calendar client from its User-Agent (the raw string is in the title). */
export function clientName(ua) {
  const known = [
    [/Google-Calendar-Importer|Google/i, "Google Calendar"],
    [/Microsoft Outlook|Outlook|Exchange/i, "Outlook"],
    [/iOS|iPhone|iPad|dataaccessd/i, "Apple Calendar (iPhone)"],
    [/Mac ?OS|CalendarAgent|Darwin/i, "Apple Calendar (Mac)"],
    [/Thunderbird|Lightning/i, "Thunderbird"],
    [/DAVx|ICSx/i, "ICSx⁵ (Android)"],
  ];
  for (const [re, name] of known) if (re.test(ua)) return `${name} (${ua})`;
  return ua;
}

function linkButton(url, label, cls, key) {
  const href = url && safeHref(url);
  if (!href) return null;
  return h("a", { href, class: cls, "data-link": key, rel: "noopener noreferrer", text: label });
}

function copyField(id, label, value, ctx) {
  const input = h("input", { id, type: "text", readonly: true, value: value || "", spellcheck: "false" });
  const copy = h("button", {
    type: "button",
    class: "btn",
    text: "Copy",
    "aria-label": `Copy the ${label}`,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        ctx.toast("Copied.");
      } catch {
        input.select(); // no clipboard permission: leave it selected for a long-press copy
      }
    },
  });
  return h("div", { class: "field" }, h("label", { for: id, text: label }), h("div", { class: "copy-row" }, input, copy));
}

function qrSection(feed) {
  if (!feed.qr_svg) return null;
  // An <img> with a data: URL: the SVG cannot run script or touch the page (CSP allows img data:).
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(feed.qr_svg)}`;
  return h(
    "section",
    { class: "block card qr" },
    h("h2", { text: "On another device" }),
    h("p", { class: "hint", text: "Scan with the phone's camera to open the subscription link." }),
    h("img", { class: "qr-img", src, width: 220, height: 220, alt: "QR code of the webcal subscription link" }),
  );
}

function rotateButton(ctx, body) {
  const status = h("div");
  const button = h("button", {
    type: "button",
    class: "btn btn-danger",
    text: "Make a new link",
    onclick: async () => {
      if (!confirm("Make a new private link? The old one stops working and every calendar must subscribe again.")) return;
      button.disabled = true;
      try {
        const feed = await api.rotateFeed();
        fill(ctx, body, feed);
        ctx.toast("New link made; the old one no longer works.");
      } catch (err) {
        button.disabled = false;
        status.replaceChildren(errorBox(err.message));
      }
    },
  });
  return h("div", { class: "stack" }, button, status);
}
