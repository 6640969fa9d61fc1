// Draws the map fleet wrote into this page from the JSON above. Names and
// labels are set as text (textContent, text nodes), never parsed as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("fleet-map").textContent);
  var map = L.map("map");
  L.tileLayer(data.tiles.url, data.tiles.options).addTo(map);

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }
  function ll(p) { return [p.lat, p.lon]; }

  data.cats.forEach(function (cat) {
    cat.outings.forEach(function (outing) {
      L.polyline(outing.path.map(ll), {
        color: outing.colour, weight: 4, opacity: 0.85, className: "fleet-outing"
      }).bindTooltip(el("span", cat.name + ": " + outing.label)).addTo(map);
    });
    cat.places.forEach(function (place) {
      L.circleMarker(ll(place.at), {
        radius: place.radius_px, color: "#333", weight: 2,
        fillColor: "#fff", fillOpacity: 0.35, className: "fleet-place"
      }).bindTooltip(el("span", cat.name + ": " + place.label)).addTo(map);
    });
    if (cat.home) {
      L.circleMarker(ll(cat.home.at), {
        radius: 8, color: "#111", weight: 3,
        fillColor: "#ffd400", fillOpacity: 1, className: "fleet-home"
      }).bindTooltip(el("span", "home of " + cat.name)).addTo(map);
    }
    cat.fixes.forEach(function (fix) {
      L.circleMarker(ll(fix.at), {
        radius: 3, color: "#222", weight: 1,
        fillColor: "#fff", fillOpacity: 1, className: "fleet-fix"
      }).bindTooltip(el("span", cat.name + " " + fix.time)).addTo(map);
    });
  });

  var legend = L.control({ position: "topright" });
  legend.onAdd = function () {
    var box = el("div", undefined, "fleet-legend");
    box.appendChild(el("h1", data.title));
    box.appendChild(el("p", data.window));
    data.cats.forEach(function (cat) {
      box.appendChild(el("h2", cat.name));
      var about = [cat.device].concat(cat.attributes.map(function (kv) {
        return kv[0] + ": " + kv[1];
      }));
      box.appendChild(el("p", about.join(", ")));
      var list = el("ul");
      if (cat.fixes.length === 0) list.appendChild(el("li", "no fixes in this window"));
      cat.outings.forEach(function (outing) {
        var item = el("li", undefined, "fleet-legend-outing");
        var swatch = el("span", undefined, "fleet-swatch");
        swatch.style.background = outing.colour;
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(outing.label));
        list.appendChild(item);
      });
      box.appendChild(list);
    });
    var key = el("ul");
    [["fix", "a fix"], ["place", "a place, sized by time spent"], ["home", "home"]]
      .forEach(function (k) {
        var item = el("li");
        item.appendChild(el("span", undefined, "fleet-symbol " + k[0]));
        item.appendChild(document.createTextNode(k[1]));
        key.appendChild(item);
      });
    box.appendChild(key);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);
  L.control.scale().addTo(map);

  if (data.bounds) {
    map.fitBounds(data.bounds, { padding: [24, 24], maxZoom: 18 });
  } else {
    map.setView([0, 0], 2);
  }
  document.documentElement.setAttribute("data-fleet-drawn", "true");
})();
