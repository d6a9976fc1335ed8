import json
from pathlib import Path

import pytest

from lib_accelerator.families import FAMILIES
from lib_accelerator.names import SAMPLERS
from lib_accelerator.presets.catalog import PresetError, builtin_presets_dir, load_catalog, parse_method

BUILTIN = load_catalog(builtin_presets_dir())


def test_builtin_presets_load_without_errors():
    assert BUILTIN.errors == ()
    assert {m.id for m in BUILTIN.methods} >= {"lightning", "hyper_sd", "lcm", "turbo"}


def test_variant_ids_and_saved_names_are_unique():
    variants = BUILTIN.all_variants()
    assert len({v.id for v in variants}) == len(variants)
    # every file of every variant (Wan 2.2 variants have two, recipe-only variants none)
    files = [f for v in variants for f in v.files]
    assert len({f.save_as for f in files}) == len({(f.repo_id, f.filename) for f in files})


@pytest.mark.parametrize("variant", BUILTIN.all_variants(), ids=lambda v: v.id)
def test_every_variant_is_pinned_and_sourced(variant):
    for file in variant.files:
        # a branch only where the commit is not public; then the sources say so and the sha256 decides
        assert len(file.revision) == 40 or (file.on_branch and "branch" in variant.sources["revision"])
        assert len(file.sha256) == 64 and file.size > 1_000_000
    if variant.recipe_only:
        assert variant.file.is_none and variant.sources.get("file", "").startswith("none")
    else:
        assert variant.sources.get("sha256")
    assert variant.family in FAMILIES
    assert variant.sources.get("settings")
    assert variant.notes.get("en")
    # the first usable sampler must exist in some WebUI (TCD alone would leave nothing to run)
    assert any(SAMPLERS[s] for s in variant.samplers)
    assert variant.steps_range[0] <= variant.steps <= variant.steps_range[1]


def test_each_method_has_one_default_per_family():
    for method in BUILTIN.methods:
        for family in {v.family for v in method.variants}:
            defaults = [v for v in method.variants_for(family) if v.default]
            assert len(defaults) == 1, (method.id, family)


def _valid() -> dict:
    data = json.loads((builtin_presets_dir() / "lcm.json").read_text())
    data["id"] = "mine"
    for v in data["variants"]:
        v["id"] = "mine-" + v["id"]
    return data


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d["variants"][0]["file"].update(sha256="abc"), "variants[0].file.sha256", "does not match"),
        (lambda d: d["variants"][1].update(sampler="warp"), "variants[1].sampler", "unknown ['warp']"),
        (lambda d: d["variants"][0].update(steps=20), "variants[0].steps_range", "must contain"),
        (lambda d: d["variants"][0].pop("cfg"), "variants[0].cfg", "is required"),
        (lambda d: d["variants"][0].update(family="sd9"), "variants[0].family", "allowed"),
        (lambda d: d["variants"][0]["file"].update(save_as="a:b.safetensors"), "variants[0].file.save_as", "match"),
        (lambda d: d.update(schema_version=2), "schema_version", "reads 1"),
        (lambda d: d["variants"][0].update(strength=True), "variants[0].strength", "must be a number"),
    ],
)
def test_malformed_preset_names_the_field(mutate, field, words):
    data = _valid()
    mutate(data)
    with pytest.raises(PresetError) as caught:
        parse_method(data, "mine.json")
    assert caught.value.field_path == field
    assert words in str(caught.value) and "mine.json" in str(caught.value)


def test_bad_user_file_is_reported_and_others_still_load(tmp_path: Path):
    (tmp_path / "broken.json").write_text("{ not json", encoding="utf-8")
    (tmp_path / "mine.json").write_text(json.dumps(_valid()), encoding="utf-8")
    clash = _valid()
    clash["id"] = "lcm"
    (tmp_path / "zz_clash.json").write_text(json.dumps(clash), encoding="utf-8")
    loaded = load_catalog(builtin_presets_dir(), [tmp_path])
    assert loaded.method("mine") is not None and loaded.method("lightning") is not None
    messages = [str(e) for e in loaded.errors]
    assert any("broken.json" in m and "not valid JSON" in m for m in messages)
    assert any("zz_clash.json" in m and "already defined" in m for m in messages)
    assert len(loaded.errors) == 2


def test_readme_method_table_matches_the_presets(tmp_path: Path):
    from lib_accelerator.presets import table

    readme = Path(__file__).resolve().parents[2] / "README.md"
    copy = tmp_path / "README.md"
    copy.write_text(readme.read_text(encoding="utf-8"), encoding="utf-8")
    assert not table.rewrite(copy, BUILTIN), "run `python3 -m lib_accelerator table --write README.md`"
