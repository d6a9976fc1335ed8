"""User recipes: storage, validation like the built-in presets, management, and local LoRA files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lib_accelerator.presets import recipes
from lib_accelerator.presets.catalog import (
    LoraFile,
    PresetError,
    builtin_presets_dir,
    load_catalog,
    local_lora_file,
    parse_method,
)
from lib_accelerator.presets.recipes import Edits, RecipeError

BUILTIN = load_catalog(builtin_presets_dir())
LCM = BUILTIN.method("lcm")
LCM_SD15 = BUILTIN.variant("lcm-lora-sd15")
TAKEN = {m.id for m in BUILTIN.methods} | {v.id for v in BUILTIN.all_variants()}
CHECKPOINT = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"


def _data(name: str = "Quick portraits", **kwargs):
    edits = kwargs.pop("edits", Edits(strength=0.8, steps=6, cfg=1.5, sampler="Euler a", schedule="Preset"))
    return recipes.recipe_data(name, LCM, LCM_SD15, edits, **kwargs)


def test_round_trip_keeps_the_edits_and_loads_like_a_builtin_preset(tmp_path: Path) -> None:
    saved = recipes.save(tmp_path, _data(checkpoint=CHECKPOINT[:10].upper()), TAKEN)
    assert saved.path == tmp_path / "my_quick_portraits.json"
    loaded, errors = recipes.load_all(tmp_path)
    assert errors == [] and [r.id for r in loaded] == ["my_quick_portraits"]
    recipe = loaded[0]
    assert (recipe.name, recipe.based_on, recipe.checkpoint) == ("Quick portraits", "lcm-lora-sd15", CHECKPOINT[:10])
    variant = recipe.variant
    assert (variant.id, variant.family, variant.default) == ("my-quick-portraits", "sd15", True)
    assert (variant.steps, variant.strength, variant.cfg) == (6, 0.8, 1.5)
    assert variant.samplers == ("euler_a",) and variant.schedules == LCM_SD15.schedules
    assert variant.file == LCM_SD15.file and variant.notes["ja"] == LCM_SD15.notes["ja"]
    assert recipe.method.license == LCM.license and recipe.method.summary["ja"]

    catalog = load_catalog(builtin_presets_dir(), [tmp_path])
    assert catalog.errors == ()
    assert catalog.variant("my-quick-portraits") == variant


def test_values_outside_the_base_range_widen_it_just_enough() -> None:
    data = _data(edits=Edits(strength=1.4, steps=12, cfg=1.0))
    variant = data["variants"][0]
    assert variant["steps_range"] == [LCM_SD15.steps_range[0], 12]
    assert variant["strength_range"] == [LCM_SD15.strength_range[0], 1.4]
    assert variant["sampler"] == list(LCM_SD15.samplers)  # "" means the preset's own choice
    parse_method(data, "mine.json")


def test_a_sampler_without_a_neutral_name_is_refused_with_the_choices() -> None:
    with pytest.raises(RecipeError, match=r"DPM\+\+ 3M SDE.*Euler a"):
        _data(edits=Edits(strength=1, steps=4, cfg=1, sampler="DPM++ 3M SDE"))
    with pytest.raises(RecipeError, match="name"):
        _data(name="   ")


def test_names_without_latin_letters_get_a_stable_valid_id(tmp_path: Path) -> None:
    first = _data(name="速い肖像")
    assert first["id"] == _data(name="速い肖像")["id"] != _data(name="遅い肖像")["id"]
    recipe = recipes.save(tmp_path, first, TAKEN)
    assert recipe.name == "速い肖像" and recipe.id.startswith("my_recipe_")
    assert json.loads(recipe.path.read_text(encoding="utf-8"))["name"] == "速い肖像"


def test_a_corrupt_file_is_reported_by_name_and_the_others_still_load(tmp_path: Path) -> None:
    recipes.save(tmp_path, _data("Good one"), TAKEN)
    (tmp_path / "broken.json").write_text('{"schema_version": 1, "id": ', encoding="utf-8")
    bad_field = _data("Bad field")
    bad_field["variants"][0]["cfg"] = "high"
    (tmp_path / "bad_field.json").write_text(json.dumps(bad_field), encoding="utf-8")

    loaded, errors = recipes.load_all(tmp_path)
    assert [r.name for r in loaded] == ["Good one"]
    assert sorted(Path(e.source).name for e in errors) == ["bad_field.json", "broken.json"]
    assert any(e.field_path == "variants[0].cfg" for e in errors)
    catalog = load_catalog(builtin_presets_dir(), [tmp_path])
    assert catalog.variant("my-good-one") is not None and len(catalog.errors) == 2


def test_hand_written_presets_in_the_folder_are_not_managed_as_recipes(tmp_path: Path) -> None:
    preset = json.loads((builtin_presets_dir() / "turbo.json").read_text(encoding="utf-8"))
    preset["id"], preset["variants"][0]["id"] = "team_turbo", "team-turbo"
    (tmp_path / "team_turbo.json").write_text(json.dumps(preset), encoding="utf-8")
    assert recipes.load_all(tmp_path) == ([], [])
    with pytest.raises(RecipeError, match="not a recipe"):
        recipes.save(tmp_path, {**_data(), "id": "team_turbo"}, TAKEN)
    assert json.loads((tmp_path / "team_turbo.json").read_text(encoding="utf-8")) == preset


def test_saving_again_replaces_the_recipe_but_never_shadows_another_preset(tmp_path: Path) -> None:
    recipes.save(tmp_path, _data(), TAKEN)
    again = recipes.save(tmp_path, _data(edits=Edits(strength=1, steps=3, cfg=1)), TAKEN)
    assert again.variant.steps == 3 and len(recipes.load_all(tmp_path)[0]) == 1
    with pytest.raises(RecipeError, match="already used"):
        recipes.save(tmp_path, _data("Quick portraits 2"), TAKEN | {"my-quick-portraits-2"})
    renamed = recipes.rename(tmp_path, again.id, "Portraits")
    with pytest.raises(RecipeError, match="already called"):
        recipes.save(tmp_path, _data("PORTRAITS"), TAKEN)
    assert recipes.save(tmp_path, _data("Quick portraits"), TAKEN).name == "Quick portraits" != renamed.name


def test_rename_changes_the_shown_name_and_keeps_the_ids(tmp_path: Path) -> None:
    saved = recipes.save(tmp_path, _data(), TAKEN)
    renamed = recipes.rename(tmp_path, saved.id, "  Portraits, fast  ")
    assert (renamed.id, renamed.variant.id, renamed.path) == (saved.id, saved.variant.id, saved.path)
    assert renamed.name == renamed.variant.label == "Portraits, fast"
    assert recipes.find(tmp_path, saved.id).name == "Portraits, fast"
    with pytest.raises(RecipeError):
        recipes.rename(tmp_path, saved.id, " ")
    with pytest.raises(RecipeError, match="no recipe"):
        recipes.rename(tmp_path, "my_nothing", "x")
    other = recipes.save(tmp_path, _data("Landscapes"), TAKEN)
    with pytest.raises(RecipeError, match="already called"):  # the panel lists recipes by name
        recipes.rename(tmp_path, other.id, "portraits, FAST")
    assert recipes.rename(tmp_path, saved.id, "Portraits, fast").name == "Portraits, fast"  # its own name is fine


def test_delete_removes_the_file(tmp_path: Path) -> None:
    saved = recipes.save(tmp_path, _data(), TAKEN)
    recipes.save(tmp_path, _data("Other"), TAKEN)
    assert recipes.delete(tmp_path, saved.id).name == "Quick portraits"
    assert not saved.path.exists()
    assert [r.name for r in recipes.load_all(tmp_path)[0]] == ["Other"]
    with pytest.raises(RecipeError):
        recipes.delete(tmp_path, saved.id)


def test_export_then_import_on_another_machine(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    exported = recipes.save(here, _data(checkpoint=CHECKPOINT), TAKEN).path  # the export is the file itself
    download = tmp_path / "downloads" / "my recipe (1).json"
    download.parent.mkdir()
    download.write_bytes(exported.read_bytes())

    imported = recipes.import_file(there, download, TAKEN)
    assert imported.path == there / exported.name
    assert json.loads(imported.path.read_text(encoding="utf-8")) == json.loads(exported.read_text(encoding="utf-8"))
    assert imported.checkpoint == CHECKPOINT
    assert recipes.import_file(there, download, TAKEN).id == imported.id  # importing twice replaces


def test_import_accepts_a_one_variant_preset_and_refuses_bad_files(tmp_path: Path) -> None:
    preset = json.loads((builtin_presets_dir() / "turbo.json").read_text(encoding="utf-8"))
    preset["id"], preset["variants"][0]["id"] = "shared_turbo", "shared-turbo"
    source = tmp_path / "shared_turbo.json"
    source.write_text(json.dumps(preset), encoding="utf-8")
    imported = recipes.import_file(tmp_path / "mine", source, TAKEN)
    assert imported.based_on == "shared-turbo" and imported.checkpoint == ""

    broken = tmp_path / "broken.json"
    broken.write_text("{nope", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"broken\.json.*not valid JSON"):
        recipes.import_file(tmp_path / "mine", broken, TAKEN)
    builtin_copy = tmp_path / "lcm.json"
    builtin_copy.write_text((builtin_presets_dir() / "lcm.json").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(RecipeError, match="one variant|already used"):
        recipes.import_file(tmp_path / "mine", builtin_copy, TAKEN)
    single = json.loads(builtin_copy.read_text(encoding="utf-8"))
    single["variants"] = single["variants"][:1]
    builtin_copy.write_text(json.dumps(single), encoding="utf-8")
    with pytest.raises(RecipeError, match="already used"):
        recipes.import_file(tmp_path / "mine", builtin_copy, TAKEN)


def test_checkpoint_hash_matching(tmp_path: Path) -> None:
    recipes.save(tmp_path, _data("Tied", checkpoint=CHECKPOINT[:10]), TAKEN)
    recipes.save(tmp_path, _data("Loose"), TAKEN)
    loaded, _ = recipes.load_all(tmp_path)
    assert recipes.for_checkpoint(loaded, CHECKPOINT).name == "Tied"  # full sha256 vs stored short hash
    assert recipes.for_checkpoint(loaded, CHECKPOINT[:10].upper()).name == "Tied"
    assert recipes.for_checkpoint(loaded, CHECKPOINT[:10], family="sd15").name == "Tied"
    assert recipes.for_checkpoint(loaded, CHECKPOINT[:10], family="sdxl") is None
    assert recipes.for_checkpoint(loaded, "ffffffffff") is None
    assert recipes.for_checkpoint(loaded, "") is None
    assert not recipes.same_checkpoint("a1b2", "a1b2")  # too short to mean anything


def test_local_file_in_a_preset(tmp_path: Path) -> None:
    data = _data()
    data["variants"][0]["file"] = {"local": "styles/my_fast-lora v2.safetensors", "sha256": "ab" * 32}
    variant = parse_method(data, "mine.json").variants[0]
    assert variant.file.is_local and variant.file.local == "styles/my_fast-lora v2.safetensors"
    assert variant.file.stem == "my_fast-lora v2" and variant.file.sha256 == "ab" * 32
    assert variant.file.url == "" and variant.file.size == 0
    data["variants"][0]["file"] = {"local": "plain.safetensors"}
    assert parse_method(data, "mine.json").variants[0].file == local_lora_file("plain.safetensors")


@pytest.mark.parametrize(
    "local",
    [
        "../outside.safetensors",
        "/abs/x.safetensors",
        "C:/x.safetensors",
        "a\\b.safetensors",
        "x.pt",
        "a:b.safetensors",
        "dir//x.safetensors",
        "./x.safetensors",
        "x<y>.safetensors",
    ],
)
def test_local_file_outside_the_lora_folder_or_unusable_as_a_tag_is_refused(local: str) -> None:
    data = _data()
    data["variants"][0]["file"] = {"local": local}
    with pytest.raises(PresetError) as error:
        parse_method(data, "mine.json")
    assert error.value.field_path == "variants[0].file.local"
    data["variants"][0]["file"] = {"local": "ok.safetensors", "sha256": "xyz"}
    with pytest.raises(PresetError, match="sha256"):
        parse_method(data, "mine.json")


def test_recipe_with_a_lora_the_user_already_has(tmp_path: Path) -> None:
    lora_dir = tmp_path / "Lora"
    (lora_dir / "styles").mkdir(parents=True)
    for name in ("styles/ink.safetensors", "fast.safetensors", "notes.txt", "accelerator/x.safetensors.part"):
        (lora_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (lora_dir / name).write_bytes(b"x")
    choices = recipes.local_loras(lora_dir)
    assert choices == ["fast.safetensors", "styles/ink.safetensors"]
    assert recipes.local_loras(tmp_path / "missing") == []

    data = _data("Ink", file=local_lora_file(choices[1]))
    recipe = recipes.save(tmp_path / "presets", data, TAKEN)
    assert recipe.variant.file == local_lora_file("styles/ink.safetensors")
    assert recipe.variant.steps == 6  # the settings are the user's, the file is theirs too
    assert json.loads(recipe.path.read_text(encoding="utf-8"))["variants"][0]["file"] == {
        "local": "styles/ink.safetensors"
    }


def test_lora_file_keeps_its_positional_form() -> None:
    file = LoraFile("a/b", "f.safetensors", "0" * 40, "1" * 64, 10, "x.safetensors")
    assert not file.is_local and file.local == "" and file.stem == "x"
    assert file.url == f"https://huggingface.co/a/b/resolve/{'0' * 40}/f.safetensors"


def test_every_panel_text_has_a_japanese_translation() -> None:
    """Labels, buttons and tooltips of the panel (fixed English text, in ui.py and the ui_*.py modules split
    out of it) are keys of localizations/ja_JP.json."""
    import re

    repo = Path(__file__).resolve().parents[2]
    panel_modules = sorted((repo / "lib_accelerator" / "webui").glob("ui*.py"))
    source = "\n".join(path.read_text(encoding="utf-8") for path in panel_modules)
    texts = set(re.findall(r'(?:label|tooltip)="([^"]+)"', source))
    texts |= set(re.findall(r'gr\.Button\(\s*value="([^"]+)"', source))
    texts |= set(re.findall(r'^METHOD_FILE = "([^"]+)"', source, re.MULTILINE))
    tooltips = re.findall(r'tooltip="([^"]+)"\s*"([^"]+)"', source)  # tooltips split over two lines
    texts |= {a + b for a, b in tooltips}
    japanese = json.loads((repo / "localizations" / "ja_JP.json").read_text(encoding="utf-8"))
    halves = {a for a, _ in tooltips}
    missing = sorted(t for t in texts - halves - {"Accelerator"} if t not in japanese)
    assert len(texts) > 20 and missing == []
    assert all(value and value != key for key, value in japanese.items())


def test_every_setting_label_has_a_japanese_translation() -> None:
    """Settings → Accelerator is translated by the same file; a label edited in settings.py must be too."""
    import re

    repo = Path(__file__).resolve().parents[2]
    source = (repo / "lib_accelerator" / "webui" / "settings.py").read_text(encoding="utf-8")
    constants = dict(re.findall(r'^([A-Z_]+) = "([^"]*)"', source, re.MULTILINE))
    labels = [
        text.format(**constants) if is_f else text
        for is_f, text in re.findall(r'OptionInfo\(\s*(?:True|False|"[^"]*"|\d+),\s*(f?)"([^"]+)"', source)
    ]
    japanese = json.loads((repo / "localizations" / "ja_JP.json").read_text(encoding="utf-8"))
    assert len(labels) >= 7 and [label for label in labels if label not in japanese] == []
