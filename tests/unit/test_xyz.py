import pytest

from lib_accelerator import xyz
from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog
from lib_accelerator.request import from_mapping

CATALOG = load_catalog(builtin_presets_dir())


class P:
    """Stands in for a processing object: the grid copies it per cell and the axes set attributes."""


def run_cell(*axis_values):
    p = P()
    for spec, value in axis_values:
        xyz.applier(spec, "accelerator_xyz", lambda: CATALOG)(p, value, None)
    return p.accelerator_xyz


def test_method_axis_sets_whole_recipe_or_off():
    assert run_cell((xyz.METHOD, "lightning")) == {"enabled": True, "method": "lightning", "variant": ""}
    assert run_cell((xyz.METHOD, "hyper-sdxl-4step")) == {
        "enabled": True,
        "method": "hyper_sd",
        "variant": "hyper-sdxl-4step",
    }
    assert run_cell((xyz.METHOD, "OFF")) == {"enabled": False}


@pytest.mark.parametrize("order", ["method first", "strength first"])
def test_off_cells_stay_off_whatever_the_other_axis_says(order):
    cells = [(xyz.METHOD, "off"), (xyz.STRENGTH, "0.5")]
    values = run_cell(*(cells if order == "method first" else reversed(cells)))
    assert values["enabled"] is False and values["strength"] == 0.5


def test_number_axis_alone_switches_accelerator_on():
    assert run_cell((xyz.STEPS, "6")) == {"steps": 6, "enabled": True}
    assert from_mapping(run_cell((xyz.CFG, "1.5"), (xyz.METHOD, "lcm"))).cfg == 1.5


def test_cells_do_not_share_their_dict():
    p = P()
    shared = {"enabled": True, "method": "lcm", "variant": ""}
    p.accelerator_xyz = shared
    xyz.applier(xyz.METHOD, "accelerator_xyz", lambda: CATALOG)(p, "off", None)
    assert shared == {"enabled": True, "method": "lcm", "variant": ""}
    assert p.accelerator_xyz["enabled"] is False


def test_choices_follow_the_loaded_family():
    sd15 = xyz.method_choices(CATALOG, "sd15")
    assert sd15[0] == "off" and "lcm" in sd15 and "lightning" not in sd15 and "lcm-lora-sdxl" not in sd15
    assert "lightning" in xyz.method_choices(CATALOG, None)


def test_values_are_checked_before_the_grid():
    xyz.check_methods(["off", "lcm", "hyper-sd15-4step"], CATALOG, "sd15")
    with pytest.raises(xyz.AxisValueError, match="'lightning' has no file for SD 1.5 models; choose from: off"):
        xyz.check_methods(["lcm", "lightning"], CATALOG, "sd15")
    with pytest.raises(xyz.AxisValueError, match="unknown value 'warp'"):
        xyz.check_methods(["warp"], CATALOG, None)
    with pytest.raises(xyz.AxisValueError, match=r"\[Accelerator\] Steps: \[0\] outside 1 to 150"):
        xyz.check_numbers(xyz.STEPS, [4, 0])
    xyz.check_numbers(xyz.STRENGTH, [0.0, 2.0])
