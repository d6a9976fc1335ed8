import pytest

from lib_accelerator import compare
from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog

CATALOG = load_catalog(builtin_presets_dir())


def test_reference_first_then_each_method_with_a_file_for_the_family():
    cells = compare.cells(CATALOG, "sd15")
    assert cells[0].request.enabled is False
    variants = [c.request.variant for c in cells[1:]]
    assert variants == [m.default_variant("sd15").id for m in CATALOG.methods_for("sd15")]
    assert "sdxl-lightning-4step" not in variants
    assert [c.request.variant for c in compare.cells(CATALOG, "sdxl", ["lightning"])[1:]] == ["sdxl-lightning-4step"]


def test_labels_and_infotext_carry_recipe_and_seconds():
    cells = compare.cells(CATALOG, "sdxl", ["lightning"])
    assert compare.label(cells[1], 3.14159) == "SDXL-Lightning · 4 steps\n3.1 s"
    line = compare.infotext_line([c.label for c in cells], [c.request.variant for c in cells], [20.0, 4.5])
    assert (
        line == "Accelerator comparison: Off (your settings)=off (20.0 s); SDXL-Lightning=sdxl-lightning-4step (4.5 s)"
    )


def test_a_method_without_a_file_for_the_family_is_refused_by_name():
    with pytest.raises(ValueError, match=r"no method 'lightning', 'nope' for SD 1\.5 models; available: .*hyper_sd"):
        compare.cells(CATALOG, "sd15", ["hyper_sd", "lightning", "nope"])
