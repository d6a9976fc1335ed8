"""Properties of the key renaming, over generated diffusers layer paths of SD1/SD2/SDXL UNets and CLIP encoders."""

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import load_file, save_file

from lib_accelerator.lora.convert import convert_to_kohya, kohya_name, rename_keys
from lib_accelerator.lora.keys import KeyFormat, classify_keys, parse_key

_index = st.integers(min_value=0, max_value=11).map(str)
_block = st.one_of(
    st.just("mid_block"),
    st.builds(lambda kind, i: f"{kind}.{i}", st.sampled_from(["down_blocks", "up_blocks"]), _index),
)
_attention = st.builds(
    lambda block, i, j, attn, proj: f"{block}.attentions.{i}.transformer_blocks.{j}.{attn}.{proj}",
    _block, _index, _index, st.sampled_from(["attn1", "attn2"]), st.sampled_from(["to_q", "to_k", "to_v", "to_out.0"]),
)  # fmt: skip
_other_unet = st.one_of(
    st.builds(lambda b, i, p: f"{b}.attentions.{i}.{p}", _block, _index, st.sampled_from(["proj_in", "proj_out"])),
    st.builds(lambda b, i, j, p: f"{b}.attentions.{i}.transformer_blocks.{j}.ff.{p}", _block, _index, _index,
              st.sampled_from(["net.0.proj", "net.2"])),
    st.builds(lambda b, i, p: f"{b}.resnets.{i}.{p}", _block, _index,
              st.sampled_from(["conv1", "conv2", "time_emb_proj", "conv_shortcut"])),
    st.sampled_from(["conv_in", "conv_out", "time_embedding.linear_1", "down_blocks.1.downsamplers.0.conv"]),
)  # fmt: skip
_unet_module = st.one_of(_attention, _other_unet)
_te_module = st.builds(
    lambda i, p: f"text_model.encoder.layers.{i}.{p}",
    _index, st.sampled_from(["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                             "mlp.fc1", "mlp.fc2"]),
)  # fmt: skip
_role = st.sampled_from([("A", "down"), ("B", "up")])
# Name checks are cheap but many; 60 examples each keep the whole LoRA suite within a few seconds.
_names = settings(max_examples=60, deadline=None)  # a loaded CI machine must not fail on timing


def _flat(module: str) -> str:
    return module.replace(".", "_")


@_names
@given(_unet_module, _role, st.sampled_from(["unet.", "", "base_model.model."]), st.booleans())
def test_a_peft_unet_key_and_its_dotted_diffusers_twin_get_the_same_kohya_name(
    module: str, role: tuple[str, str], prefix: str, adapter: bool
) -> None:
    peft_letter, word = role
    adapter_part = ".default_0" if adapter else ""
    expected = f"lora_unet_{_flat(module)}.lora_{word}.weight"
    assert kohya_name(f"{prefix}{module}.lora_{peft_letter}{adapter_part}.weight") == expected
    assert kohya_name(f"unet.{module}.lora.{word}.weight") == expected


@_names
@given(_attention, _role)
def test_old_attention_processor_names_convert_like_the_module_they_patch(module: str, role: tuple[str, str]) -> None:
    attn, _, proj = module.rpartition(".to_")
    processor = f"unet.{attn}.processor.to_{proj.removesuffix('.0')}_lora.{role[1]}.weight"
    assert kohya_name(processor) == f"lora_unet_{_flat(module)}.lora_{role[1]}.weight"


@_names
@given(_te_module, _role, st.booleans())
def test_text_encoder_names_follow_the_family(module: str, role: tuple[str, str], sdxl: bool) -> None:
    expected = ("lora_te1_" if sdxl else "lora_te_") + f"{_flat(module)}.lora_{role[1]}.weight"
    assert kohya_name(f"text_encoder.{module}.lora_{role[0]}.weight", sdxl) == expected
    assert kohya_name(f"text_encoder.{module}.lora_linear_layer.{role[1]}.weight", sdxl) == expected
    assert kohya_name(f"text_encoder_2.{module}.lora_{role[0]}.weight", sdxl) == (
        f"lora_te2_{_flat(module)}.lora_{role[1]}.weight"
    )


@_names
@given(st.lists(st.one_of(_unet_module.map(lambda m: "lora_unet_" + _flat(m)),
                          _te_module.map(lambda m: "lora_te1_" + _flat(m))), min_size=1, max_size=20, unique=True),
       st.booleans())  # fmt: skip
def test_renaming_a_kohya_name_map_is_a_no_op(modules: list[str], sdxl: bool) -> None:
    names = [f"{m}.{suffix}" for m in modules for suffix in ("lora_down.weight", "lora_up.weight", "alpha")]
    mapping = rename_keys(names, sdxl)
    assert dict(mapping.mapping) == {name: name for name in names}
    assert mapping.unmapped == ()
    assert classify_keys(names).key_format is KeyFormat.KOHYA


@_names
@given(st.text(max_size=60))
def test_any_name_parses_without_error(name: str) -> None:
    parsed = parse_key(name)
    assert parsed.key == name
    converted = kohya_name(name)
    assert converted is None or "." in converted


@settings(max_examples=15, deadline=None)
@given(
    st.lists(_unet_module, min_size=1, max_size=6, unique=True),
    st.sampled_from(["peft", "diffusers"]),
    st.sampled_from([np.float16, np.float32, np.int8]),
    st.integers(min_value=1, max_value=5),
)
def test_converting_a_file_keeps_every_tensor_byte_for_byte(
    modules: list[str], layout: str, dtype: type, rank: int
) -> None:
    rng = np.random.default_rng(rank)
    tensors: dict[str, np.ndarray] = {}
    for module in modules:
        for letter, word, shape in (("A", "down", (rank, 8)), ("B", "up", (8, rank))):
            key = f"unet.{module}.lora_{letter}.weight" if layout == "peft" else f"unet.{module}.lora.{word}.weight"
            tensors[key] = (rng.standard_normal(shape) * 50).astype(dtype)
    with tempfile.TemporaryDirectory() as folder:
        src, dst = Path(folder, "src.safetensors"), Path(folder, "dst.safetensors")
        save_file(tensors, str(src))
        result = convert_to_kohya(src, dst)
        converted = load_file(str(dst))
    assert result.unmapped == ()
    for key, array in tensors.items():
        new = converted[kohya_name(key) or ""]
        assert new.dtype == array.dtype and new.tobytes() == array.tobytes()
