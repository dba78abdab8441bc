"""Grids: snapped origins, cell numbering and study areas."""

from __future__ import annotations

import numpy as np
import pytest

from tansiq.analytics import AnalyticsError, Grid


def test_grid_origin_is_snapped_to_a_multiple_of_the_cell_size() -> None:
    grid = Grid.covering(
        np.array([630_010.0, 631_000.0]), np.array([4_833_149.0, 4_833_400.0]), 150.0, "EPSG:32617"
    )
    assert grid.x0 % 150 == 0 and grid.y0 % 150 == 0
    assert (grid.x0, grid.y0) == (630_000.0, 4_833_000.0)
    assert grid.cell_of(np.array([631_000.0]), np.array([4_833_400.0]))[0] >= 0


def test_cells_are_numbered_row_major_from_the_south_west() -> None:
    grid = Grid(100.0, 0.0, 0.0, nx=3, ny=2)
    cells = grid.cell_of(np.array([50, 250, 50, 350, -1]), np.array([50, 50, 150, 50, 50]))
    assert cells.tolist() == [0, 2, 3, -1, -1]
    x, y = grid.centres()
    assert (x[4], y[4]) == (150.0, 150.0)


def test_study_area_holds_exactly_the_cells_with_events() -> None:
    grid = Grid(100.0, 0.0, 0.0, nx=3, ny=3).with_study_area(
        np.array([50, 150]), np.array([50, 250])
    )
    assert grid.study_cells.tolist() == [0, 7]


def test_a_non_positive_cell_size_is_refused() -> None:
    with pytest.raises(AnalyticsError) as info:
        Grid.covering(np.array([0.0]), np.array([0.0]), 0.0, "EPSG:32617")
    assert info.value.code == "bad_cell_size"


def test_rook_neighbours_stay_inside_the_grid() -> None:
    grid = Grid(1.0, 0.0, 0.0, nx=2, ny=2)
    pairs = {
        (int(a), int(b))
        for src, dst in grid.neighbours(np.arange(4))
        for a, b in zip(src, dst, strict=True)
    }
    assert pairs == {(0, 1), (1, 0), (0, 2), (2, 0), (1, 3), (3, 1), (2, 3), (3, 2)}


def test_a_grid_spanning_far_too_much_is_refused() -> None:
    # A stray event 2,000 km away would otherwise allocate hundreds of millions of cells.
    with pytest.raises(AnalyticsError) as info:
        Grid.covering(
            np.array([0.0, 2_000_000.0]), np.array([0.0, 2_000_000.0]), 150.0, "EPSG:32617"
        )
    assert info.value.code == "grid_too_large"
