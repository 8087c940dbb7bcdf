// Starts Redoc without an inline script: the schema's URL and the page's style nonce
// (the Content-Security-Policy allows styles carrying it) come from the container.
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, { nonce: container.dataset.nonce }, container);
})();
