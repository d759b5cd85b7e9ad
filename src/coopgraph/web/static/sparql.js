// YASGUI on /sparql: our endpoint only (no catalogue of others), no calls to outside
// services, and one tab per stored query that the user does not have open yet.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sparql-config").textContent);
  // the UMD bundle leaves the class itself as window.Yasgui (older builds: a module with .default)
  var Yasgui = window.Yasgui && window.Yasgui.default ? window.Yasgui.default : window.Yasgui;
  if (typeof Yasgui !== "function") { return; }
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: "coopgraph-sparql",
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: config.endpoint }]; } },
    yasqe: { autocompleters: [] }
  });
  config.examples.forEach(function (example) {
    if (!yasgui.tabNameTaken(example.name)) {
      yasgui.addTab(false, { name: example.name, yasqe: { value: example.query },
                             requestConfig: { endpoint: config.endpoint } });
    }
  });
  window.coopgraphYasgui = yasgui;
})();
