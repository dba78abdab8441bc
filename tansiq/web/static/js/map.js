// The live map: an offline basemap (Natural Earth outlines and the imported roads, both from this
// server), incidents and units as clustered markers that move and change as the feed reports.
/* global L */
import { call } from "./api.js";
import { t, label, id as fmtId } from "./i18n.js";

const KUWAIT = [29.33, 47.85];
const ROADS_MIN_ZOOM = 11;

const INCIDENT_SYMBOL = {
  traffic_collision: "traffic", traffic_collision_injury: "traffic", road_obstruction: "traffic",
  fire: "fire", maritime_distress: "water", heavy_rain_flooding: "water",
  building_collapse: "hazard", hazardous_material: "hazard", suspicious_object: "hazard",
  assault: "security", public_disturbance: "security", burglary: "security", theft: "security",
  robbery: "security", cybercrime_report: "security", missing_person: "person",
  border_infiltration: "border", smuggling: "border", residency_violation: "border",
};
const UNIT_SYMBOL = {
  patrol_car: "u-car", motorcycle: "u-car", fire_engine: "u-fire", ambulance: "u-medical",
  rescue_boat: "u-boat", helicopter: "u-air", drone: "u-air", border_post: "u-post",
};

const UNIT_STATUS_COLOUR = {
  available: "#1b7a3a", dispatched: "#7b2cbf", en_route: "#7b2cbf", on_scene: "#7b2cbf",
  out_of_service: "#5f6b76", off_duty: "#5f6b76",
};
const UNIT_TYPE_COLOUR = {
  "u-car": "#0b3d5c", "u-fire": "#c1121f", "u-medical": "#ffffff", "u-boat": "#1d63b8",
  "u-air": "#e36414", "u-post": "#4a3000",
};

function symbol(name) {
  return `<svg aria-hidden="true" focusable="false"><use href="/static/icons/symbols.svg#${name}"></use></svg>`;
}

export class OpsMap {
  constructor(element, { onIncidentClick, onMapClick, typeName, unitTypeName }) {
    this.onIncidentClick = onIncidentClick;
    this.onMapClick = onMapClick;
    this.typeName = typeName;
    this.unitTypeName = unitTypeName;
    this.renderer = L.canvas({ padding: 0.2 });
    this.map = L.map(element, {
      center: KUWAIT, zoom: 10, minZoom: 3, maxZoom: 18, preferCanvas: true,
      keyboard: true, worldCopyJump: false,
    });
    // The basemap has its own pane and canvas under the overlays, so outlines and roads drawn
    // later never cover the units.
    this.map.createPane("basemap").style.zIndex = 250;
    this.baseRenderer = L.canvas({ padding: 0.2, pane: "basemap" });
    this.map.attributionControl.setPrefix(false);
    this.map.attributionControl.addAttribution("Natural Earth");
    this.outlines = L.layerGroup().addTo(this.map);
    this.roads = L.layerGroup().addTo(this.map);
    this.incidents = L.markerClusterGroup({
      chunkedLoading: true, maxClusterRadius: 50, spiderfyOnMaxZoom: true,
      showCoverageOnHover: false, disableClusteringAtZoom: 16,
    }).addTo(this.map);
    this.units = L.layerGroup().addTo(this.map);
    this.incidentMarkers = new Map();
    this.unitMarkers = new Map();
    this.pendingUnits = new Map();
    this.selected = null;
    this.roadsAbort = null;
    this.map.on("click", (e) => this.onMapClick(e.latlng));
    this.map.on("moveend", () => this.loadRoads());
  }

  async loadOutlines() {
    const r = await call("GET", "/api/v1/console/basemap");
    if (!r.ok) return;
    this.outlines.clearLayers();
    L.geoJSON(r.body, {
      renderer: this.baseRenderer,
      interactive: false,
      style: (f) => (f.properties.kind === "coastline"
        ? { color: "#24506e", weight: 1.5, fill: false }
        : { color: "#8a8f73", weight: 0.8, fillColor: "#efe9d7", fillOpacity: 1 }),
    }).addTo(this.outlines);
  }

  async loadRoads() {
    if (!this.map.hasLayer(this.roads)) return;
    if (this.map.getZoom() < ROADS_MIN_ZOOM) {
      this.roads.clearLayers();
      return;
    }
    if (this.roadsAbort) this.roadsAbort.abort();
    this.roadsAbort = new AbortController();
    const b = this.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map((v, i) => Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v)).toFixed(5)).join(",");
    try {
      const r = await call("GET", `/api/v1/console/roads?bbox=${bbox}&limit=8000`, { signal: this.roadsAbort.signal });
      if (!r.ok) return;
      this.roads.clearLayers();
      L.geoJSON(r.body, {
        renderer: this.baseRenderer, interactive: false, style: { color: "#6d6d6d", weight: 1.2, opacity: 0.9 },
      }).addTo(this.roads);
    } catch {
      /* a newer view superseded this one, or the server is away: the next move asks again */
    }
  }

  setLayer(name, on) {
    const layer = this[name];
    if (on && !this.map.hasLayer(layer)) {
      layer.addTo(this.map);
      if (name === "roads") this.loadRoads();
    } else if (!on && this.map.hasLayer(layer)) {
      this.map.removeLayer(layer);
    }
  }

  incidentIcon(incident) {
    const pulse = incident.priority === 1 && incident.status === "reported" ? " pulse" : "";
    const sel = this.selected === incident.id ? " selected" : "";
    return L.divIcon({
      className: `inc-icon p${incident.priority}${pulse}${sel}`,
      html: symbol(INCIDENT_SYMBOL[incident.type] || "other"),
      iconSize: [28, 28],
    });
  }

  incidentTitle(incident) {
    return t("console.incident.popup", {
      id: fmtId(incident.id), type: this.typeName(incident.type),
      priority: label("priority", incident.priority), status: label("status", incident.status),
    });
  }

  // Incidents: add, change or remove a batch in one go (clustering recomputes once).
  setIncidents(upserts, removals) {
    const add = [];
    const drop = [];
    for (const incident of upserts) {
      const old = this.incidentMarkers.get(incident.id);
      if (old) drop.push(old);
      const marker = L.marker([incident.lat, incident.lon], {
        icon: this.incidentIcon(incident), title: this.incidentTitle(incident),
        alt: this.incidentTitle(incident), keyboard: true, riseOnHover: true,
      });
      marker.incidentId = incident.id;
      marker.incident = incident;
      marker.on("click", () => this.onIncidentClick(incident.id));
      this.incidentMarkers.set(incident.id, marker);
      add.push(marker);
    }
    for (const incidentId of removals) {
      const old = this.incidentMarkers.get(incidentId);
      if (old) {
        drop.push(old);
        this.incidentMarkers.delete(incidentId);
      }
    }
    if (drop.length) this.incidents.removeLayers(drop);
    if (add.length) this.incidents.addLayers(add);
  }

  select(incident) {
    const previous = this.selected;
    this.selected = incident ? incident.id : null;
    for (const key of [previous, this.selected]) {
      const marker = key !== null && this.incidentMarkers.get(key);
      if (marker && marker.incident) marker.setIcon(this.incidentIcon(marker.incident));
    }
    if (incident) this.map.panTo([incident.lat, incident.lon], { animate: false });
  }

  // Units are drawn on the canvas, not as DOM markers: a thousand of them move every second, and
  // moving a canvas marker costs one redraw per frame for all of them. Fill by status, ring by
  // type (the same groups as the symbols).
  unitStyle(unit) {
    return {
      renderer: this.renderer, radius: 6, weight: 3, opacity: 1, fillOpacity: 1,
      fillColor: UNIT_STATUS_COLOUR[unit.status] || "#5f6b76",
      color: UNIT_TYPE_COLOUR[UNIT_SYMBOL[unit.type]] || "#13202b",
    };
  }

  unitTitle(unit) {
    return t("console.unit.popup", {
      callsign: unit.callsign, type: this.unitTypeName(unit.type), status: label("unit_status", unit.status),
    });
  }

  // Units: positions and statuses, applied as one batch (a thousand moving units, once a second).
  setUnits(units) {
    for (const unit of units) {
      if (unit.lat == null || unit.lon == null) continue;
      let marker = this.unitMarkers.get(unit.id);
      if (!marker) {
        marker = L.circleMarker([unit.lat, unit.lon], this.unitStyle(unit));
        marker.unit = unit;
        marker.bindTooltip(() => this.unitTitle(marker.unit));
        marker.unitStatus = unit.status;
        this.unitMarkers.set(unit.id, marker);
        marker.addTo(this.units);
        continue;
      }
      marker.unit = unit;
      if (marker.unitStatus !== unit.status) {
        marker.unitStatus = unit.status;
        marker.setStyle(this.unitStyle(unit));
      }
      const at = marker.getLatLng();
      if (at.lat !== unit.lat || at.lng !== unit.lon) marker.setLatLng([unit.lat, unit.lon]);
    }
  }

  clear() {
    this.incidents.clearLayers();
    this.units.clearLayers();
    this.incidentMarkers.clear();
    this.unitMarkers.clear();
  }
}
