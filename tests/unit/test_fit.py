"""The fit arithmetic of the domain: what each fit does to a 4000x3000 source, in numbers."""

from __future__ import annotations

import pytest

from domain.fit import Region, Size, above_output_limit, fitted, layout
from domain.transform import Box, Fit

SOURCE = Size(4000, 3000)
CENTRE = (0.5, 0.5)


@pytest.mark.parametrize(
    ("fit", "expected"),
    [
        (Fit.COVER, Size(400, 300)),  # the larger ratio, then cropped to the box
        (Fit.CONTAIN, Size(300, 225)),  # the smaller ratio, then padded to the box
        (Fit.INSIDE, Size(300, 225)),
        (Fit.OUTSIDE, Size(400, 300)),
        (Fit.FILL, Size(300, 300)),  # both axes, the aspect is not kept
    ],
)
def test_each_fit_scales_the_whole_source_by_its_rule(fit: Fit, expected: Size) -> None:
    assert fitted(SOURCE, Box(300, 300), fit) == expected


def test_one_free_axis_keeps_the_aspect_ratio_whatever_the_fit() -> None:
    assert fitted(SOURCE, Box(800, 0), Fit.FILL) == Size(800, 600)
    assert fitted(SOURCE, Box(0, 150), Fit.COVER) == Size(200, 150)
    assert fitted(SOURCE, Box(0, 0), Fit.COVER) == SOURCE


def test_cover_takes_a_window_of_the_source_anchored_by_gravity() -> None:
    centred = layout(SOURCE, Box(300, 300), Fit.COVER, CENTRE)
    left = layout(SOURCE, Box(300, 300), Fit.COVER, (0.0, 0.5))

    assert (centred.canvas, centred.scaled) == (Size(300, 300), Size(300, 300))
    assert centred.region == Region(500.0, 0.0, 3000.0, 3000.0)
    assert left.region.left == 0.0


def test_contain_pads_around_the_image_where_gravity_says() -> None:
    plan = layout(SOURCE, Box(300, 300), Fit.CONTAIN, CENTRE)
    top = layout(SOURCE, Box(300, 300), Fit.CONTAIN, (0.5, 0.0))

    assert (plan.canvas, plan.scaled, plan.offset) == (Size(300, 300), Size(300, 225), (0, 38))
    assert top.offset == (0, 0)


def test_a_plan_above_the_output_limit_names_its_size() -> None:
    small = layout(SOURCE, Box(300, 300), Fit.INSIDE, CENTRE)
    # one free axis: a tall, thin source scaled to 7680 wide grows far past the limit
    huge = layout(Size(10, 1000), Box(7680, 0), Fit.INSIDE, CENTRE)

    assert above_output_limit(small) is None
    assert above_output_limit(huge) == Size(7680, 768000)
