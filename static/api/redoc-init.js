// The API docs page (templates/api/docs.html): Redoc over the schema its container names.
(function () {
  var container = document.getElementById("redoc");
  if (container && window.Redoc) {
    window.Redoc.init(container.dataset.specUrl, {}, container);
  }
})();
