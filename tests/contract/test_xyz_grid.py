"""The facts about the WebUI's X/Y/Z plot script that Accelerator's axis registration relies on."""

from __future__ import annotations

import inspect

import pytest

from tests.contract import webui_env

AXIS_OPTION_PARAMETERS = ["label", "type", "apply", "format_value", "confirm", "cost", "choices", "prepare"]


@pytest.fixture(scope="module")
def xyz(webui):
    path = webui.root / "scripts" / "xyz_grid.py"
    assert path.is_file(), f"{path} is missing"
    return webui_env.load_script_module(path)


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
    assert {"Nothing", "Steps", "CFG Scale", "Sampler", "Schedule type"} <= set(labels)
    txt2img = xyz.AxisOptionTxt2Img("t", str, lambda p, x, xs: None)
    img2img = xyz.AxisOptionImg2Img("i", str, lambda p, x, xs: None)
    assert isinstance(txt2img, xyz.AxisOption) and txt2img.is_img2img is False
    assert isinstance(img2img, xyz.AxisOption) and img2img.is_img2img is True
