// Swagger UI from the installed package, over this API's OpenAPI document; nothing is fetched from elsewhere
// (no validator badge, no remote configuration).
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    validatorUrl: null,
    defaultModelsExpandDepth: -1,   // no Schemas section at the foot: each operation shows its own
    deepLinking: false,   // its links would sit inside each operation's button (nested interactive controls)
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
