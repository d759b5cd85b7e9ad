"""What the interactive map reads: the GeoJSON twin's layers, seats and visit lines, and the world outline."""

from __future__ import annotations

ID = "https://w3id.org/coopgraph/id/"


def _features(client):
    response = client.get("/map.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    return response.get_json()


def test_every_programme_with_places_is_a_layer(client):
    data = _features(client)
    layers = {p["iri"]: p for p in data["programmes"]}
    for name in ("iuc", "iurc", "iurc-region-to-region", "world-cities-eu-japan"):
        assert ID + "programme/" + name in layers, name
    assert layers[ID + "programme/iuc"]["page"] == "/id/programme/iuc"
    places = {f["id"]: f["properties"] for f in data["features"] if f["properties"]["kind"] == "place"}
    assert ID + "programme/iuc" in places[ID + "city/koriyama"]["programmes"]
    # World Cities has no pairings, but its cities are on its layer
    assert ID + "programme/world-cities-eu-japan" in places[ID + "city/kitakyushu"]["programmes"]


def test_seats_and_capitals_are_marked_with_the_graphs_note(client):
    places = {f["id"]: f["properties"] for f in _features(client)["features"] if f["properties"]["kind"] == "place"}
    aichi = places[ID + "prefecture/aichi"]
    assert aichi["seatPoint"] is True and "Nagoya" in aichi["pointNote"]
    assert places[ID + "metropolitan-authority/greater-manchester"]["seatPoint"] is True
    assert places[ID + "city/koriyama"]["seatPoint"] is False and places[ID + "city/koriyama"]["pointNote"] is None


def test_the_region_to_region_strand_is_drawn_by_its_visits(client):
    features = _features(client)["features"]
    visits = [f for f in features if f["properties"]["kind"] == "visit"]
    strand = [f for f in visits if f["properties"]["programmes"] == [ID + "programme/iurc-region-to-region"]]
    pairs = {frozenset(f["properties"]["participants"]) for f in strand}
    # who went where in June 2023: Kyoto and Ōita visited the Ljubljana Urban Region
    assert frozenset((ID + "prefecture/oita", ID + "region/ljubljana-urban-region")) in pairs
    assert all(len(p) == 2 for p in pairs) and len(pairs) == len(strand)  # one line per pair of places
    ljubljana = next(
        f
        for f in strand
        if set(f["properties"]["participants"]) == {ID + "prefecture/oita", ID + "region/ljubljana-urban-region"}
    )
    # the most specific visit first: the line opens it
    assert ljubljana["properties"]["page"] == "/id/event/2023-06-r2r-visit-to-ljubljana-urban-region"
    # a visit within a pairing adds no line: the pairing's line is there already
    assert not any(ID + "city/kamakura" in f["properties"]["participants"] for f in visits)


def test_the_world_outline_is_served_as_geojson(client):
    response = client.get("/map/world.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert "max-age" in response.headers["Cache-Control"]
    world = response.get_json()
    names = {f["properties"]["name"] for f in world["features"]}
    assert {"Japan", "Germany", "Slovenia"} <= names
    russia = next(f for f in world["features"] if f["properties"]["name"] == "Russia")
    for polygon in russia["geometry"]["coordinates"]:
        ring = polygon[0]
        # no edge jumps across the map (a ring crossing the antimeridian continues past 180)
        assert all(abs(a[0] - b[0]) < 180 for a, b in zip(ring, ring[1:]))


def test_a_place_page_has_a_small_map_and_others_do_not(client):
    html = client.get("/id/prefecture/aichi").get_data(as_text=True)
    assert "data-place-map" in html and 'data-lat="35.18147"' in html
    assert "vendor/leaflet/leaflet.js" in html and "seat or capital" in html
    programme = client.get("/id/programme/iuc").get_data(as_text=True)
    assert "data-place-map" not in programme and "leaflet" not in programme


def test_leaflet_is_vendored_with_its_licence(client):
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet/LICENSE",
        "/static/vendor/leaflet/ORIGIN.md",
        "/static/vendor/leaflet/images/layers.png",
        "/static/map.js",
    ):
        response = client.get(path)
        assert response.status_code == 200 and response.get_data(), path
        response.close()


def test_one_place_has_the_point_the_whole_map_gives_it(built_store):
    """A place's page asks for its own point instead of deriving the whole map (36 s at 1M triples)."""
    from dataclasses import replace

    from coopgraph.views import geo

    whole = geo.map_data(built_store)
    assert len(whole.places) > 20
    for iri, place in whole.places.items():
        assert geo.place_point(built_store, iri) == replace(place, programmes=[]), iri
    assert geo.place_point(built_store, ID + "programme/iuc") is None


def test_places_are_given_their_country_and_clusters_their_name(built_store):
    """The detail frames are named for the one country (or Europe) their places lie in."""
    from coopgraph.views import geo

    places = geo.map_data(built_store).places
    koriyama, toyota = places[ID + "city/koriyama"], places[ID + "city/toyota"]
    essen, grenoble = places[ID + "city/essen"], places[ID + "city/grenoble"]
    assert [geo.country_of(p.lon, p.lat) for p in (koriyama, toyota, essen)] == ["Japan", "Japan", "Germany"]
    assert geo.country_of(-30.0, 40.0) is None  # the middle of the Atlantic
    assert geo._cluster_name([koriyama, toyota], 0) == "Japan"
    assert geo._cluster_name([essen, grenoble], 1) == "Europe"
    assert geo._cluster_name([koriyama, essen, toyota], 2) == "detail-3"
