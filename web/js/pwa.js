// Service worker registration and the "new version" prompt.

/**
 * Register /sw.js (scope /). When a new version has installed and waits, show the banner;
 * its Reload button tells the waiting worker to take over and reloads once it has.
 * @param {{onFirstControl?: () => void}} [options]
 */
export async function registerServiceWorker({ onFirstControl = () => {} } = {}) {
  if (!("serviceWorker" in navigator)) return null;
  let userAsked = false;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // The first install also changes the controller (clients.claim): no reload then, but what
    // this page loaded before the worker existed is fetched again so it is kept for offline use.
    if (userAsked) location.reload();
    else if (!hadController) onFirstControl();
  });
  const reg = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  const offer = (worker) => {
    if (!navigator.serviceWorker.controller) return; // first install: nothing to replace
    showUpdateBanner(() => {
      userAsked = true;
      worker.postMessage({ type: "SKIP_WAITING" });
    });
  };
  if (reg.waiting) offer(reg.waiting);
  reg.addEventListener("updatefound", () => {
    const worker = reg.installing;
    if (!worker) return;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed") offer(worker);
    });
  });
  // An installed app can stay open for days: look for a new version when it comes back.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reg.update().catch(() => {});
  });
  return reg;
}

function showUpdateBanner(onReload) {
  const banner = document.getElementById("update-banner");
  const button = document.getElementById("update-reload");
  if (!banner || !button) return;
  banner.hidden = false;
  button.onclick = () => {
    button.disabled = true;
    onReload();
  };
}
