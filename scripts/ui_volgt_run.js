// Added to the Prefect UI by scripts/prefect_server.py (VT_UI_VOLGT_RUN): on a flow run's page,
// follow the run and show it anew as soon as it waits for a new form or has
// finished, so staff see the next form at once instead of after the UI's own 5 s refresh.
// The new UI (/v2) re-reads its data when the window becomes visible again (TanStack Query's
// refetch on focus), so it is told exactly that: no page load. The classic UI is reloaded.
// Never while a dialog (a form being filled in) is open or a field has the focus.
// Every half second while the run is busy or just after a click (a form sent), every two seconds
// while it only waits for a person or has ended: staff wait on the first, the Prefect server pays for both.
(function () {
  var gezien = null;
  var wacht = false;
  var laatsteKlik = 0;
  var pad = null;
  document.addEventListener("click", function () { laatsteKlik = Date.now(); }, true);
  function runId() {
    var m = location.pathname.match(/\/runs\/flow-run\/([0-9a-f-]{36})/);
    return m ? m[1] : null;
  }
  function bezig() {
    var actief = document.activeElement;
    return document.querySelector("[role=dialog]") !== null ||
      (actief && /^(INPUT|TEXTAREA|SELECT)$/.test(actief.tagName));
  }
  function volgende() {
    var snel = !wacht || Date.now() - laatsteKlik < 30000;
    setTimeout(kijk, snel ? 500 : 2000);
  }
  function kijk() {
    var id = runId();
    if (location.pathname !== pad) { pad = location.pathname; gezien = null; }
    if (!id || document.hidden) { volgende(); return; }
    fetch("/api/flow_runs/" + id, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (run) {
        if (!run || !run.state || runId() !== id) return;
        var staat = run.state;
        var klaar = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"].indexOf(staat.type) >= 0;
        wacht = klaar || staat.type === "PAUSED";
        // A state seen with a form open is the one the person is working on.
        if (gezien === null || bezig()) { gezien = staat.id; return; }
        if (staat.id === gezien) return;
        gezien = staat.id;
        if (wacht) {
          toonOpnieuw();
        }
      })
      .catch(function () {})
      .then(volgende);
  }
  function toonOpnieuw() {
    if (location.pathname.indexOf("/v2/") === 0) {
      window.dispatchEvent(new Event("visibilitychange"));
    } else {
      location.reload();
    }
  }
  kijk();
})();
