// Starts Swagger UI on /api/docs; kept in a file because the site's CSP forbids inline script.
// A signed-in visitor's calls go with the session cookie, and the API refuses a write from a
// session without the CSRF token: the page carries it in a meta tag, and every request
// "Try it out" sends gets it in X-CSRFToken. Calls with a bearer token need none; it is
// sent anyway and ignored.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    deepLinking: true,
    requestInterceptor: function (request) {
      if (csrfMeta) {
        request.headers["X-CSRFToken"] = csrfMeta.content;
      }
      return request;
    },
  });
});
