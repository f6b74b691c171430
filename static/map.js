/* The maps of Veille (Leaflet, vendored): the map of reports drawn from its JSON (data-url),
   clustered with Leaflet.markercluster, with the sectors' outlines; and the point picker of the
   report form, which fills its latitude and longitude fields. Everything it needs comes from
   data-* attributes: no inline script or style (the CSP allows none). The table beside a map
   lists the same reports for those who do not use it. */
(function () {
  "use strict";

  var FRANCE = [[41.3, -5.2], [51.1, 9.6]];

  function escapeHtml(text) {
    var box = document.createElement("div");
    box.textContent = text || "";
    return box.innerHTML;
  }

  // The zoom buttons named in the page's language (Leaflet's own are English).
  function newMap(el, options) {
    var map = L.map(el, L.extend({zoomControl: false}, options || {}));
    L.control.zoom({zoomInTitle: el.dataset.i18nZoomIn, zoomOutTitle: el.dataset.i18nZoomOut}).addTo(map);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, {
        maxZoom: 19,
        attribution: escapeHtml(el.dataset.attribution)
      }).addTo(map);
    }
    map.attributionControl.setPrefix(false);
    return map;
  }

  function popup(point) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/situations/" + point.id;
    link.textContent = point.title;
    box.appendChild(link);
    if (point.place || point.category) {
      var detail = document.createElement("p");
      detail.className = "report-map__popup-detail";
      detail.textContent = [point.category, point.place].filter(Boolean).join(" · ");
      box.appendChild(detail);
    }
    return box;
  }

  // markercluster's own icon, whose button is named by its count alone ("8"): here "8 reports
  // grouped here" (``label`` holds {n}), the figure shown as before.
  function clusterIcon(group, label) {
    var count = group.getChildCount();
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    var named = escapeHtml((label || "{n}").replace("{n}", String(count)));
    return L.divIcon({
      html: '<div><span aria-hidden="true">' + count + '</span><span class="sr-only">' + named + "</span></div>",
      className: "marker-cluster marker-cluster-" + size,
      iconSize: L.point(40, 40)
    });
  }

  function reportMap(el) {
    var map = newMap(el, { scrollWheelZoom: false });
    map.fitBounds(FRANCE);
    fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        var bounds = L.latLngBounds([]);
        data.outlines.forEach(function (sector) {
          var layer = L.geoJSON(sector.outline, { className: "report-map__outline", interactive: false });
          layer.addTo(map);
          bounds.extend(layer.getBounds());
        });
        var cluster = L.markerClusterGroup({
          showCoverageOnHover: false,
          iconCreateFunction: function (group) { return clusterIcon(group, el.dataset.i18nCluster); }
        });
        data.points.forEach(function (point) {
          var marker = L.marker([point.latitude, point.longitude], { title: point.title, alt: point.title });
          marker.bindPopup(popup(point));
          cluster.addLayer(marker);
          bounds.extend([point.latitude, point.longitude]);
        });
        map.addLayer(cluster);
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 }); }
        el.dataset.ready = String(data.points.length);
      })
      .catch(function () {
        var note = document.createElement("p");
        note.className = "notice notice--warning report-map__failed";
        note.textContent = el.dataset.i18nFailed || "";
        el.parentNode.insertBefore(note, el);
        el.dataset.ready = "failed";
      });
  }

  function pointPicker(el) {
    if (el.dataset.ready) { return; }
    el.dataset.ready = "1";
    var lat = document.getElementById(el.dataset.latitude);
    var lon = document.getElementById(el.dataset.longitude);
    var clear = el.parentNode.querySelector("[data-point-clear]");
    // The picker is a pointer's shortcut beside the typed coordinates, hidden from assistive
    // technology (aria-hidden): nothing in it may take the keyboard's focus.
    var map = newMap(el, {keyboard: false});
    var marker = null;

    function outOfTabOrder() {
      el.querySelectorAll("a, button, input, [tabindex]").forEach(function (node) {
        node.setAttribute("tabindex", "-1");
      });
    }

    function current() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      return isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180 ? [a, b] : null;
    }
    function show() {
      var point = current();
      if (point && !marker) { marker = L.marker(point, {keyboard: false}).addTo(map); }
      if (point) { marker.setLatLng(point); } else if (marker) { map.removeLayer(marker); marker = null; }
      if (clear) { clear.hidden = !point; }
      return point;
    }
    var start = show();
    var bounds = JSON.parse(el.dataset.bounds || "null");
    if (start) { map.setView(start, 16); } else { map.fitBounds(bounds || FRANCE); }
    outOfTabOrder();
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      show();
    });
    lat.addEventListener("change", show);
    lon.addEventListener("change", show);
    if (clear) {
      clear.addEventListener("click", function () {
        lat.value = "";
        lon.value = "";
        show();
        lat.focus();
      });
    }
  }

  function start(root) {
    if (typeof L === "undefined") { return; }
    root.querySelectorAll("[data-report-map]").forEach(function (el) {
      if (!el.dataset.started) { el.dataset.started = "1"; reportMap(el); }
    });
    root.querySelectorAll("[data-point-picker]").forEach(pointPicker);
  }

  document.addEventListener("DOMContentLoaded", function () { start(document); });
  // The report form comes back whole when another body is chosen (htmx).
  document.addEventListener("htmx:afterSettle", function (event) { start(event.target); });
})();
