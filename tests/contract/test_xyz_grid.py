"""The facts about the WebUI's X/Y/Z plot script that Accelerator's axis registration relies on."""

from __future__ import annotations

import inspect

import pytest

from tests.contract import webui_env

AXIS_OPTION_PARAMETERS = ["label", "type", "apply", "format_value", "confirm", "cost", "choices", "prepare"]


# Where each host keeps the X/Y/Z plot script: A1111, Forge, reForge in scripts/; Forge Classic moved it into
# the built-in extension `xyz`, whose `lib_xyz` package sits beside its scripts/ folder.
LOCATIONS = (("scripts/xyz_grid.py", None), ("extensions-builtin/xyz/scripts/xyz_grid.py", "extensions-builtin/xyz"))


@pytest.fixture(scope="module")
def xyz(webui):
    for relative, basedir in LOCATIONS:
        path = webui.root / relative
        if path.is_file():
            return webui_env.load_script_module(path, basedir=webui.root / basedir if basedir else None)
    raise AssertionError(f"no X/Y/Z plot script in {webui.root} at any of {[r for r, _ in LOCATIONS]}")


def test_loader_names_the_module_xyz_grid_py(xyz):
    from modules import scripts

    # Accelerator finds the module among scripts.scripts_data by this name
    assert xyz.__name__ == "xyz_grid.py"
    script_classes = [
        c
        for c in vars(xyz).values()
        if inspect.isclass(c) and issubclass(c, scripts.Script) and c is not scripts.Script
    ]
    assert [c.__module__ for c in script_classes] == ["xyz_grid.py"]


def test_axis_option_constructor(xyz):
    parameters = inspect.signature(xyz.AxisOption.__init__).parameters
    assert list(parameters)[1:] == AXIS_OPTION_PARAMETERS
    assert [parameters[name].default for name in ("confirm", "cost", "choices", "prepare")] == [None, 0.0, None, None]
    assert callable(parameters["format_value"].default)
    for name in ("label", "type", "apply"):
        assert parameters[name].default is inspect.Parameter.empty


def test_axis_options_list_and_tab_specific_subclasses(xyz):
    assert isinstance(xyz.axis_options, list)
    assert xyz.axis_options and all(isinstance(o, xyz.AxisOption) for o in xyz.axis_options)
    labels = [o.label for o in xyz.axis_options]
    assert {"Nothing", "Steps", "CFG Scale", "Sampler"} <= set(labels)
    if not hasattr(xyz, "AxisOptionTxt2Img"):  # Forge Classic's script imports only AxisOption from lib_xyz
        return
    assert "Schedule type" in labels
    txt2img = xyz.AxisOptionTxt2Img("t", str, lambda p, x, xs: None)
    img2img = xyz.AxisOptionImg2Img("i", str, lambda p, x, xs: None)
    assert isinstance(txt2img, xyz.AxisOption) and txt2img.is_img2img is False
    assert isinstance(img2img, xyz.AxisOption) and img2img.is_img2img is True
