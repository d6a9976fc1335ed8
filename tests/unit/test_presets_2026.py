"""Every 2025-26 preset against reference/methods-2026.json (the researched values with their sources), and
the catalogue's validation of multi-file, branch-pinned and recipe-only variants."""

import copy
import json
from pathlib import Path

import pytest

from lib_accelerator.presets.catalog import PresetError, builtin_presets_dir, load_catalog, parse_method
from lib_accelerator.presets.table import markdown

CATALOG = load_catalog(builtin_presets_dir())
REFERENCE = Path("/work/shared/reference/methods-2026.json")
FORGE_NEO_PRESETS = "modules_forge/presets.py @1219164adc35b82826d579d19a74c792530b41c4"
# variant id -> the methods-2026.json entries of its files, in file order
FROM_REFERENCE = {
    "qwen-image-lightning-4step": ["qwen-image-lightning-4step-v1-bf16"],
    "qwen-image-lightning-8step": ["qwen-image-lightning-8step-v1.1-bf16"],
    "qwen-image-edit-lightning-4step": ["qwen-image-edit-lightning-4step-bf16"],
    "qwen-image-edit-lightning-8step": ["qwen-image-edit-lightning-8step"],
    "qwen-image-edit-2509-lightning-4step": ["qwen-image-edit-2509-lightning-4step"],
    "qwen-image-edit-2509-lightning-8step": ["qwen-image-edit-2509-lightning-8step"],
    "wan22-t2v-a14b-lightning-4step": [
        "wan22-t2v-a14b-distill-4step-1217-high",
        "wan22-t2v-a14b-distill-4step-1217-low",
    ],
    "wan22-i2v-a14b-lightning-4step": [
        "wan22-i2v-a14b-distill-4step-1022-high",
        "wan22-i2v-a14b-distill-4step-1022-low",
    ],
}


@pytest.fixture(scope="module")
def reference() -> dict[str, dict]:
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} is not on this machine")
    return {e["id"]: e for e in json.loads(REFERENCE.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("variant_id", sorted(FROM_REFERENCE))
def test_lora_presets_match_the_research(variant_id, reference):
    variant = CATALOG.variant(variant_id)
    assert variant is not None
    entries = [reference[i] for i in FROM_REFERENCE[variant_id]]
    for file, entry in zip(variant.files, entries, strict=True):
        assert (file.repo_id, file.filename, file.sha256, file.size) == (
            entry["repo_id"], entry["filename"], entry["sha256"], entry["size_bytes"]
        )  # fmt: skip
        if entry["fully_pinned"]:
            assert file.revision == entry["hf_revision_seen"] and not file.on_branch
        else:
            assert entry["missing"] == ["revision"] and file.on_branch and file.revision == "main"
    first = entries[0]
    assert (variant.steps, variant.cfg, variant.strength) == (first["steps"], first["cfg"], first["strength"])
    assert variant.shift == first["extra_params"]["shift"]
    assert variant.negative_prompt == "no" and variant.samplers == ("euler",) and variant.schedules == ("simple",)
    assert variant.sources["sha256"] and variant.sources["size"] and variant.sources["shift"]


@pytest.mark.parametrize(
    ("variant_id", "steps", "schedule", "shift", "arch"),
    [("z-image-turbo-9step", 9, "beta", 9.0, "zit"), ("flux2-klein-4step", 4, "beta", None, "klein")],
)
def test_recipe_only_presets_follow_forge_neos_presets(variant_id, steps, schedule, shift, arch):
    variant = CATALOG.variant(variant_id)
    assert variant is not None and variant.recipe_only and variant.files == () and variant.lora_stem == ""
    assert (variant.steps, variant.cfg, variant.schedules, variant.samplers) == (steps, 1.0, (schedule,), ("euler",))
    assert variant.shift == shift
    assert FORGE_NEO_PRESETS in variant.sources["settings"] and f"PresetArch {arch}:" in variant.sources["settings"]


def test_wan_files_are_twins_for_forge_neos_refiner_swap():
    for variant in CATALOG.method("wan22_lightning").variants:  # type: ignore[union-attr]
        high, low = variant.files
        assert (high.role, low.role) == ("high_noise", "low_noise") and variant.file is high
        assert high.stem.replace("high_noise", "low_noise") == low.stem
        assert variant.lora_stem == high.stem and variant.size == high.size + low.size
        assert variant.tag_stems == (high.stem, low.stem)  # pasting back takes out both experts' tags


def test_table_lists_both_files_and_recipes():
    table = markdown(CATALOG)
    assert "| 614 + 614 |" in table and "| no file |" in table and "| Qwen-Image-Edit-2509 |" in table


WAN = "wan22_lightning.json"


def _wan() -> dict:
    return json.loads((builtin_presets_dir() / WAN).read_text(encoding="utf-8"))


def _broken(change) -> PresetError:
    data = copy.deepcopy(_wan())
    change(data["variants"][0])
    with pytest.raises(PresetError) as caught:
        parse_method(data, WAN)
    return caught.value


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda v: v["files"][1].update(save_as="accel-x.safetensors"), "variants[0].files[1].save_as", "low_noise"),
        (lambda v: v["files"].reverse(), "variants[0].files[0].role", "order"),
        (lambda v: v["files"].pop(), "variants[0].files", "2 files"),
        (lambda v: v["files"][0].pop("on_branch"), "variants[0].files[0].revision", "does not match"),
        (lambda v: v["files"][0].update(revision="5700441"), "variants[0].files[0].revision", "not a branch"),
        (lambda v: v["files"][0].update(sha256="ab"), "variants[0].files[0].sha256", "does not match"),
        (lambda v: v["files"][1].update(size=0), "variants[0].files[1].size", "positive"),
        (lambda v: v.update(file=v["files"][0]), "variants[0].file", "not both"),
        (lambda v: v.update(base_variants=["t2v-14b"]), "variants[0].base_variants", "allowed: t2v-a14b"),
        (lambda v: v.update(shift=0), "variants[0].shift", "positive"),
    ],
)
def test_multi_file_variants_are_validated_like_the_rest(change, field, words):
    error = _broken(change)
    assert error.field_path == field and words in error.problem, error


def test_base_variants_only_where_the_family_has_them():
    data = json.loads((builtin_presets_dir() / "lightning.json").read_text(encoding="utf-8"))
    data["variants"][0]["base_variants"] = ["edit"]
    with pytest.raises(PresetError, match="sdxl has no base variants"):
        parse_method(data, "lightning.json")


def test_file_null_is_a_recipe_without_download():
    data = json.loads((builtin_presets_dir() / "distilled.json").read_text(encoding="utf-8"))
    variant = parse_method(data, "distilled.json").variants[0]
    assert variant.recipe_only and variant.file.is_none and variant.size == 0


def test_cli_list_and_show(capsys):
    from lib_accelerator.cli.main import main

    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    for words in ("Qwen-Image (edit-2509)", "Wan 2.2 (t2v-a14b)", "Z-Image (turbo)", "FLUX.2 (klein)", "Apache-2.0"):
        assert words in listed
    assert " 1227  Wan2.2-Lightning" in listed  # both experts' files together
    assert main(["show", "wan22-i2v-a14b-lightning-4step"]) == 0
    shown = capsys.readouterr().out
    assert "file (high_noise)" in shown and "file (low_noise)" in shown
    assert "@ main (branch: the sha256 decides)" in shown
    assert "shift: 5" in shown and "source: shift" in shown and "source: revision" in shown
    assert main(["plan", "--method", "distilled", "--family", "flux2", "--base", "klein", "--host", "forge-neo"]) == 0
    assert "prompt tag     : (none)" in capsys.readouterr().out


def test_pasting_back_removes_every_tag_a_two_file_variant_wrote():
    from lib_accelerator.prompt import make_tag

    variant = CATALOG.variant("wan22-t2v-a14b-lightning-4step")
    assert variant is not None
    prompt = "a cat " + " ".join(make_tag(stem, 1.0) for stem in variant.tag_stems) + " <lora:mine:0.5>"
    from lib_accelerator.prompt import remove_lora_tag

    for stem in variant.tag_stems:
        prompt = remove_lora_tag(prompt, stem)
    assert "high_noise" not in prompt and "low_noise" not in prompt and "<lora:mine:0.5>" in prompt
    assert CATALOG.variant("z-image-turbo-9step").tag_stems == ()  # type: ignore[union-attr]
