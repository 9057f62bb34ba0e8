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
});
