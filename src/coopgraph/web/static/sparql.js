// YASGUI on /sparql: our endpoint only (no catalogue of others), no calls to outside
// services, the stored queries in one list of examples (each opens in a tab of its own),
// results with our prefixes, and IRIs minted here linked to this site's pages.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sparql-config").textContent);
  // the UMD bundle leaves the class itself as window.Yasgui (older builds: a module with .default)
  var Yasgui = window.Yasgui && window.Yasgui.default ? window.Yasgui.default : window.Yasgui;
  if (typeof Yasgui !== "function") { return; }
  var root = document.getElementById("yasgui");
  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: "coopgraph-sparql",
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: config.endpoint }]; } },
    yasqe: { autocompleters: [] },
    // merged with the query's own PREFIX lines, which win
    yasr: { prefixes: config.prefixes }
  });

  // --- examples: one list instead of a tab per stored query ---
  var line = document.getElementById("sparql-examples-line");
  var select = document.getElementById("sparql-examples");
  if (line && select) {
    line.hidden = false;
    select.addEventListener("change", function () {
      var example = config.examples[Number(select.value)];
      if (!select.value || !example) { return; }
      var open = yasgui.tabNameTaken(example.name);
      if (open) {
        yasgui.selectTabId(open.getId());
      } else {
        yasgui.addTab(true, { name: example.name, yasqe: { value: example.query },
                              requestConfig: { endpoint: config.endpoint } });
      }
      select.value = "";
    });
  }

  // --- links: an IRI minted here opens this site's page, not the base IRI's host ---
  function localHref(iri) {
    for (var i = 0; i < config.localPages.length; i++) {
      var rule = config.localPages[i];
      if (iri.indexOf(rule.from) === 0 && iri.length > rule.from.length) {
        return rule.whole ? rule.to + encodeURIComponent(iri) : rule.to + iri.slice(rule.from.length);
      }
    }
    return null;
  }
  function relink(scope) {
    var anchors = scope.querySelectorAll ? scope.querySelectorAll("a[href]") : [];
    for (var i = 0; i < anchors.length; i++) {
      var anchor = anchors[i];
      var iri = anchor.getAttribute("href");
      var local = localHref(iri);
      if (local) {
        anchor.setAttribute("href", local);
        anchor.setAttribute("title", iri);
        anchor.removeAttribute("target");
      }
    }
  }
  // The results table is redrawn on every query, page and sort: relink whatever it adds.
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) { if (node.nodeType === 1) { relink(node); } });
    });
  }).observe(root, { childList: true, subtree: true });
  relink(root);
  window.coopgraphYasgui = yasgui;
})();
