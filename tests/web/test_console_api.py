"""The console's page, assets, messages and basemap, on both databases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tansiq.i18n.catalogue import catalogue
from tansiq.roads.storage import save_network
from tansiq.roads.synthetic import grid_network
from tansiq.web import basemap

STATIC = Path(__file__).resolve().parents[2] / "tansiq" / "web" / "static"


def test_the_console_page_is_served_with_a_same_origin_policy(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    for directive in ("script-src 'self'", "connect-src 'self'", "default-src 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert '<html lang="ar" dir="rtl">' in r.text


def test_assets_are_served_and_nothing_outside_the_static_folder(client):
    assert client.get("/static/js/main.js").status_code == 200
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    for path in ("/static/../api.py", "/static/%2e%2e/api.py", "/static/nothing.js", "/static/js"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.json()["detail_ar"]


def test_the_page_and_assets_name_no_other_origin():
    """Everything the page loads is bundled: no URL with a scheme or host in our own files."""
    own = [STATIC / "index.html", *STATIC.glob("js/*.js"), *STATIC.glob("css/*.css")]
    for path in own:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), path
    leaflet_css = (STATIC / "vendor/leaflet/leaflet.css").read_text()
    assert "http" not in re.sub(r"/\*.*?\*/", "", leaflet_css, flags=re.S)


def test_vendored_libraries_carry_their_licences():
    assert "BSD" in (STATIC / "vendor/leaflet/LICENSE").read_text()
    assert "MIT" in (STATIC / "vendor/leaflet.markercluster/MIT-LICENCE.txt").read_text()


def test_every_key_the_console_uses_is_in_the_catalogue_in_both_languages():
    keys = set(
        re.findall(
            r'data-i18n(?:-label|-placeholder)?="([\w.]+)"', (STATIC / "index.html").read_text()
        )
    )
    for path in STATIC.glob("js/*.js"):
        keys |= set(re.findall(r'\bt\("([\w.]+)"', path.read_text()))
    assert len(keys) > 40, "the key patterns are stale"
    missing = sorted(k for k in keys if k not in catalogue())
    assert missing == []


@pytest.mark.parametrize("lang,direction", [("ar", "rtl"), ("en", "ltr")])
def test_messages_for_a_language_are_the_api_catalogue(client, lang, direction):
    r = client.get(f"/api/v1/console/messages/{lang}")
    assert r.status_code == 200
    body = r.json()
    assert body["dir"] == direction
    assert body["messages"]["console.login.submit"] == catalogue()["console.login.submit"][lang]
    assert body["messages"]["error.etag_mismatch"] == catalogue()["error.etag_mismatch"][lang]
    assert body["messages"]["status.on_scene"] == catalogue()["status.on_scene"][lang]


def test_an_unknown_language_is_refused_in_both_languages(client):
    r = client.get("/api/v1/console/messages/fr")
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "console_unknown_language"
    assert "fr" in body["detail"] and "fr" in body["detail_ar"]


def test_the_basemap_needs_a_signed_in_user(client):
    assert client.get("/api/v1/console/basemap").status_code == 401
    assert client.get("/api/v1/console/roads?bbox=47,29,48,30").status_code == 401


def test_the_basemap_has_kuwait_and_a_coastline_from_natural_earth(client, make_user):
    user = make_user()
    r = client.get("/api/v1/console/basemap", headers=user.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    features = r.json()["features"]
    kuwait = [f for f in features if f["properties"].get("iso_a3") == "KWT"]
    assert len(kuwait) == 1
    lon, lat = kuwait[0]["geometry"]["coordinates"][0][0]
    assert 46 < lon < 49 and 28 < lat < 31
    coast = [f for f in features if f["properties"]["kind"] == "coastline"]
    assert len(coast) == 1 and coast[0]["geometry"]["type"] == "MultiLineString"


def test_roads_say_none_is_loaded_before_an_import(client, make_user):
    r = client.get("/api/v1/console/roads?bbox=47,29,48,30", headers=make_user().headers)
    assert r.status_code == 200
    assert r.json() == {
        "type": "FeatureCollection",
        "features": [],
        "truncated": False,
        "loaded": False,
    }


def test_roads_are_the_imported_links_in_the_view_longest_first_past_the_limit(
    client, make_user, store
):
    net = grid_network(side=6, spacing_m=100.0, one_way_share=0.0)  # 60 links near 47.90,29.30
    save_network(store, net)
    client.app.state.roads.refresh()
    headers = make_user().headers
    everything = client.get("/api/v1/console/roads?bbox=47,29,48,30", headers=headers).json()
    assert everything["loaded"] and not everything["truncated"]
    assert len(everything["features"]) == len(net.link_start)
    line = everything["features"][0]["geometry"]
    assert line["type"] == "LineString" and len(line["coordinates"]) >= 2
    # A view holding only the first row of blocks gets only links crossing it.
    south = 29.30 + 50 / 111_195
    some = client.get(f"/api/v1/console/roads?bbox=47,29,48,{south}", headers=headers).json()
    assert 0 < len(some["features"]) < len(everything["features"])
    for feature in some["features"]:
        assert min(lat for _, lat in feature["geometry"]["coordinates"]) <= south
    capped = client.get("/api/v1/console/roads?bbox=47,29,48,30&limit=7", headers=headers).json()
    assert capped["truncated"] and len(capped["features"]) == 7
    nowhere = client.get("/api/v1/console/roads?bbox=10,10,11,11", headers=headers).json()
    assert nowhere["features"] == []


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "48,29,47,30", "47,29,48,95"])
def test_a_bad_view_is_refused_in_both_languages(client, make_user, bbox):
    r = client.get(f"/api/v1/console/roads?bbox={bbox}", headers=make_user().headers)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid_bbox" and body["detail"] and body["detail_ar"]


def test_the_basemap_geojson_is_valid_json_of_closed_rings():
    data = json.loads(json.dumps(basemap.outlines()))
    for feature in data["features"]:
        if feature["geometry"]["type"] == "Polygon":
            for ring in feature["geometry"]["coordinates"]:
                assert ring[0] == ring[-1]
