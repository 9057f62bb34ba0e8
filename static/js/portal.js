// Small progressive enhancements; every page works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // After a refused submit, move focus to the error summary so keyboard and screen-reader
  // users start from the list of problems (each links to its field).
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
