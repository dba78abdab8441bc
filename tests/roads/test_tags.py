"""OSM tag rules: speed limits in their many spellings, one-way, drivable classes."""

from __future__ import annotations

import pytest

from tansiq.roads.tags import direction, is_drivable, parse_maxspeed, way_speeds


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50),
        ("50 mph", 80.47),
        ("30mph", 48.28),
        ("60 km/h", 60),
        ("RU:urban", 50),
        ("DE:rural", 90),
        ("DE:zone30", 30),
        ("walk", 5),
        ("50;30", 30),
        ("12,5", 12.5),
    ],
)
def test_maxspeed_values_are_read_in_kmh(value, kmh):
    assert parse_maxspeed(value) == pytest.approx(kmh, rel=1e-3)


@pytest.mark.parametrize("value", [None, "", "none", "signals", "variable", "fast", "XX:moon", "0"])
def test_unusable_maxspeed_gives_no_value(value):
    assert parse_maxspeed(value) is None


def test_class_default_applies_without_a_limit_and_directions_may_differ():
    assert way_speeds({"highway": "residential"}) == (30, 30)
    tags = {"highway": "primary", "maxspeed": "60", "maxspeed:backward": "40"}
    assert way_speeds(tags) == (60, 40)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential", "oneway": "yes"}, (True, False)),
        ({"highway": "residential", "oneway": "true"}, (True, False)),
        ({"highway": "residential", "oneway": "1"}, (True, False)),
        ({"highway": "residential", "oneway": "-1"}, (False, True)),
        ({"highway": "residential", "oneway": "no"}, (True, True)),
        ({"highway": "residential"}, (True, True)),
        ({"highway": "primary", "junction": "roundabout"}, (True, False)),
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "motorway", "oneway": "no"}, (True, True)),
    ],
)
def test_one_way_rules(tags, expected):
    assert direction(tags) == expected


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "emergency": "yes"}, True),
        ({"highway": "residential", "motor_vehicle": "no"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "construction"}, False),
    ],
)
def test_drivable_roads(tags, drivable):
    assert is_drivable(tags) is drivable
