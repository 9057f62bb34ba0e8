// Small progressive enhancements; every page works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // After a refused submit, move focus to the error summary so keyboard and screen-reader
  // users start from the list of problems (each links to its field).
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  // On narrow screens the side navigation opens as a dialog (Bootstrap's offcanvas adds
  // role="dialog" while it is shown): name it by its title while it is one.
  const sidenav = document.getElementById("sidenav");
  if (sidenav) {
    sidenav.addEventListener("show.bs.offcanvas", () => {
      sidenav.setAttribute("aria-labelledby", "sidenav-title");
    });
    sidenav.addEventListener("hidden.bs.offcanvas", () => {
      sidenav.removeAttribute("aria-labelledby");
    });
  }

  // Below lg the header's and the delegation banner's disclosures (Bootstrap's collapse, which
  // keeps each button's aria-expanded): Escape closes an open one and returns focus to its button.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !window.bootstrap) {
      return;
    }
    for (const panel of document.querySelectorAll("#topbar-tools, #delegation-details")) {
      const toggle = document.querySelector(`[aria-controls="${panel.id}"]`);
      if (!toggle || toggle.offsetParent === null || toggle.getAttribute("aria-expanded") !== "true") {
        continue; // closed, or a wide screen where it is always shown
      }
      const collapse = window.bootstrap.Collapse.getOrCreateInstance(panel, { toggle: false });
      if (panel.classList.contains("collapsing")) {
        // Still opening: close it once it has opened.
        panel.addEventListener("shown.bs.collapse", () => collapse.hide(), { once: true });
      } else {
        collapse.hide();
      }
      toggle.focus();
    }
  });
});

// One-time form tokens (portal/form_tokens.py). Back may fetch a form page again: Chromium then
// puts back what the person had filled in, but the page comes with a new token, so one click
// would create a second order. The token sent from this history entry is kept in its state and
// put back with the rest, and sending the form again shows the first result instead.
document.addEventListener("submit", (event) => {
  const token = event.target.querySelector('input[name="form_token"]');
  if (token) {
    const state = history.state || {};
    const sent = { ...state.formTokens, [event.target.action]: token.value };
    history.replaceState({ ...state, formTokens: sent }, "");
  }
});
document.addEventListener("DOMContentLoaded", () => {
  const sent = (history.state || {}).formTokens || {};
  for (const token of document.querySelectorAll('input[name="form_token"]')) {
    if (token.form && sent[token.form.action]) {
      token.value = sent[token.form.action];
    }
  }
});
