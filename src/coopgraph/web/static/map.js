/* The interactive maps, drawn with the vendored Leaflet from the graph's GeoJSON.
 *
 * /map: the world outline (no tile server, so it works offline), a layer per programme
 * with its places and its lines (pairings; visits where no pairing links two places),
 * pan, zoom and a layer control; a click on a place or a line opens its page. The
 * server-drawn pictures stay for readers without JavaScript and are hidden once the
 * map is drawn. A page of a place: a small map around its point.
 * Runs under the site's strict CSP: no inline script or style, no eval; Leaflet sets
 * styles through the DOM, which the policy allows.
 */
(function () {
  "use strict";
  if (!window.L) return;
  var L = window.L;
  var PALETTE = 6; // colours prog-0 .. prog-5 in map.css

  function getJSON(url) {
    return fetch(url, {headers: {Accept: "application/geo+json, application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error(url + " answered " + response.status);
        return response.json();
      });
  }

  function escapeHTML(text) {
    return String(text).replace(/[&<>"']/g, function (ch) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch];
    });
  }

  function worldLayer(world) {
    return L.geoJSON(world, {interactive: false, style: {className: "land", weight: 0.6}});
  }

  function baseMap(box, options) {
    var map = L.map(box, Object.assign({zoomSnap: 0.25, minZoom: 1, maxZoom: 10, worldCopyJump: false}, options));
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("Natural Earth");
    return map;
  }

  /* What a place's tooltip (and, on touch screens, its popup) says: its name and, for a
   * region or authority, that the point is its seat's or capital's. */
  function placeCard(props, seatText, withLink) {
    var card = document.createElement("div");
    card.className = "map-card";
    var name = document.createElement(withLink && props.page ? "a" : "strong");
    name.textContent = props.label || props.iri;
    if (withLink && props.page) name.href = props.page;
    card.appendChild(name);
    if (props.otherLabel) card.appendChild(document.createTextNode(" (" + props.otherLabel + ")"));
    if (props.seatPoint) {
      var seat = document.createElement("div");
      seat.className = "map-seat";
      seat.textContent = seatText + (props.pointNote ? " " + props.pointNote : "");
      card.appendChild(seat);
    }
    return card;
  }

  function lineCard(props, visitsText, withLink) {
    var card = document.createElement("div");
    card.className = "map-card";
    var name = document.createElement(withLink && props.page ? "a" : "strong");
    name.textContent = props.label || props.iri;
    if (withLink && props.page) name.href = props.page;
    card.appendChild(name);
    if (props.kind === "visit") {
      var more = document.createElement("div");
      more.className = "map-seat";
      more.textContent = visitsText + ((props.labels || []).length > 1 ? ": " + props.labels.join("; ") : "");
      card.appendChild(more);
    }
    return card;
  }

  /* Hover screens: a click goes to the page, the tooltip says what it is. Touch screens
   * have no hover: the first tap opens a popup with the same text and a link. */
  var touchOnly = window.matchMedia && window.matchMedia("(hover: none)").matches;

  function linkUp(layer, page, card) {
    layer.bindTooltip(card(false), {direction: "top", sticky: layer instanceof L.Polyline, opacity: 0.95});
    if (touchOnly) {
      layer.bindPopup(card(true));
    } else if (page) {
      layer.on("click", function () { window.location.assign(page); });
    }
  }

  function drawMap(box, data, world) {
    var map = baseMap(box, {});
    worldLayer(world).addTo(map);
    var seatText = box.dataset.seatText || "";
    var visitsText = box.dataset.visitsText || "";
    var layers = {};
    var order = [];
    (data.programmes || []).forEach(function (programme, index) {
      layers[programme.iri] = {group: L.featureGroup(), colour: "prog-" + (index % PALETTE), info: programme,
                               lines: 0, places: 0};
      order.push(programme.iri);
    });
    var other = {group: L.featureGroup(), colour: "prog-other", info: {label: box.dataset.otherPlaces}, lines: 0,
                 places: 0};
    var bounds = [];
    data.features.forEach(function (feature) {
      var props = feature.properties;
      var owners = (props.programmes || []).filter(function (p) { return layers[p]; });
      if (feature.geometry.type === "Point") {
        var lonlat = feature.geometry.coordinates;
        bounds.push([lonlat[1], lonlat[0]]);
        (owners.length ? owners.map(function (p) { return layers[p]; }) : [other]).forEach(function (layer) {
          var marker = L.marker([lonlat[1], lonlat[0]], {
            icon: L.divIcon({className: "map-pin " + layer.colour + (props.seatPoint ? " seat" : ""),
                             iconSize: [14, 14]}),
            title: props.label || props.iri, alt: props.label || props.iri, keyboard: true, riseOnHover: true});
          linkUp(marker, props.page, function (withLink) { return placeCard(props, seatText, withLink); });
          marker.on("add", function () {
            var element = marker.getElement();
            element.setAttribute("data-iri", props.iri);
            if (props.page) element.setAttribute("data-page", props.page);
          });
          layer.group.addLayer(marker);
          layer.places += 1;
        });
      } else if (feature.geometry.type === "LineString") {
        var latlngs = feature.geometry.coordinates.map(function (c) { return [c[1], c[0]]; });
        owners.forEach(function (p) {
          var layer = layers[p];
          var kind = props.kind === "visit" ? "visit-line" : "pairing-line";
          var line = L.polyline(latlngs, {className: "map-line " + kind + " " + layer.colour,
                                          weight: props.kind === "visit" ? 1.5 : 2.5});
          linkUp(line, props.page, function (withLink) { return lineCard(props, visitsText, withLink); });
          line.on("add", function () {
            line.getElement().setAttribute("data-iri", props.iri);
            line.getElement().setAttribute("data-programme", p);
          });
          layer.group.addLayer(line);
          layer.lines += 1;
        });
      }
    });
    var overlays = {};
    var counts = box.dataset.countsText || "{places} · {lines}";
    order.map(function (p) { return layers[p]; }).concat([other]).forEach(function (layer) {
      if (!layer.places && !layer.lines) return;
      var count = counts.replace("{places}", layer.places).replace("{lines}", layer.lines);
      var name = '<span class="swatch ' + layer.colour + '"></span>' + escapeHTML(layer.info.label || layer.info.iri)
        + ' <span class="muted">(' + escapeHTML(count) + ")</span>";
      overlays[name] = layer.group;
      layer.group.addTo(map);
    });
    L.control.layers(null, overlays, {collapsed: box.clientWidth < 700}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    if (bounds.length) map.fitBounds(bounds, {padding: [24, 24], maxZoom: 7});
    else map.setView([45, 80], 2);
    box.coopgraphMap = map; // for tests and the browser console
    box.setAttribute("data-drawn", "true");
  }

  function startMainMap() {
    var box = document.getElementById("live-map");
    if (!box) return;
    var wrap = box.closest("[data-live-map-wrap]");
    Promise.all([getJSON(box.dataset.features), getJSON(box.dataset.world)]).then(function (answers) {
      wrap.hidden = false;
      drawMap(box, answers[0], answers[1]);
      document.querySelectorAll("[data-map-drawings]").forEach(function (drawings) { drawings.hidden = true; });
    }).catch(function (error) {
      console.warn("the interactive map could not be drawn; the drawings stay:", error);
    });
  }

  function startPlaceMaps() {
    document.querySelectorAll("[data-place-map]").forEach(function (box) {
      var lat = parseFloat(box.dataset.lat), lon = parseFloat(box.dataset.lon);
      if (!isFinite(lat) || !isFinite(lon)) return;
      getJSON(box.dataset.world).then(function (world) {
        box.hidden = false;
        var map = baseMap(box, {scrollWheelZoom: false});
        worldLayer(world).addTo(map);
        var marker = L.marker([lat, lon], {
          icon: L.divIcon({className: "map-pin prog-0" + (box.dataset.seat ? " seat" : ""), iconSize: [14, 14]}),
          title: box.dataset.label || "", alt: box.dataset.label || "", keyboard: false});
        if (box.dataset.seat) marker.bindTooltip(box.dataset.seat, {direction: "top"});
        marker.addTo(map);
        map.setView([lat, lon], 5);
        box.coopgraphMap = map;
        box.setAttribute("data-drawn", "true");
      }).catch(function (error) { console.warn("the small map could not be drawn:", error); });
    });
  }

  function start() {
    startMainMap();
    startPlaceMaps();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
