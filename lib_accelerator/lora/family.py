"""Tell which model family a LoRA was trained for, from its tensor names, shapes and metadata.

Shapes are the strongest clue: the down matrix of a cross-attention `attn2.to_k` has shape [rank, context_dim],
and the context dim is 768 for SD 1.5, 1024 for SD 2.x and 2048 for SDXL. Names come next (SDXL has no
`down_blocks.0` attention and up to ten transformer blocks per attention; FLUX has single blocks; SD3 has joint
blocks). Metadata is the weakest clue, because catalogues and repacks copy it around.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lib_accelerator.families import FLUX, QWEN_IMAGE, SD2, SD3, SD15, SDXL, WAN22, family_label
from lib_accelerator.lora.header import SafetensorsHeader, TensorInfo
from lib_accelerator.lora.keys import ParsedKey, parse_key

SHAPE, NAME, WEAK = 3, 2, 1  # weight of a clue; each distinct clue counts once, however many keys show it

_CONTEXT_DIMS = {768: frozenset({SD15}), 1024: frozenset({SD2}), 2048: frozenset({SDXL})}
_TE_DIMS = {768: frozenset({SD15, SDXL}), 1024: frozenset({SD2})}
_DIT_DIMS = {3072: frozenset({FLUX}), 1536: frozenset({SD3}), 2432: frozenset({SD3})}
# Qwen-Image's transformer is 3072 wide like FLUX.1's (24 heads x 128): in a file with Qwen-only module names
# (img_mlp, txt_mlp) that width is Qwen-Image's.
_QWEN_DIT_DIMS = {**_DIT_DIMS, 3072: frozenset({QWEN_IMAGE})}
_QWEN_NAMES = re.compile(r"transformer_blocks_\d+_(img|txt)_(mlp|mod)")
_UNET_ONLY = frozenset({SD15, SD2, SDXL})
_SD12 = frozenset({SD15, SD2})
_DIT = frozenset({FLUX, SD3})
_JOINT = frozenset({FLUX, SD3, QWEN_IMAGE})  # models with a text stream beside the image stream (add_q_proj)

_UNET_KEY = re.compile(r"(down_blocks|up_blocks|mid_block|input_blocks|output_blocks|middle_block)_\d")
_CROSS_ATTN_KV = re.compile(r"attn2_(processor_)?to_[kv]")
_TE_HIDDEN_IN = re.compile(r"(self_attn_(processor_)?(to_)?(q|k|v|out)(_proj)?|mlp_fc1)$")
_TE_LAYER = re.compile(r"encoder_layers_(\d+)_")
_DIT_KEY = re.compile(r"(^|_)(double_blocks|single_blocks|joint_blocks|(single_)?transformer_blocks)_\d")
# Wan's native block names (`blocks.N.self_attn.q`, `cross_attn.k`, `ffn.0`), as lightx2v's Wan 2.2 LoRAs use them.
_WAN_KEY = re.compile(r"(^|_)blocks_\d+_((self|cross)_attn_[qkvo]|ffn_[02])(_|$)")
_DIT_ATTN_IN = re.compile(r"(transformer_blocks|joint_blocks|double_blocks)_\d+_.*(to_[qkv]|attn_qkv)$")
_NAME_CLUES: tuple[tuple[re.Pattern[str], frozenset[str], str], ...] = (
    (re.compile(r"down_blocks_0_attentions|(down|up)_blocks_3_"), _SD12, "SD1/SD2 UNet block layout"),
    (re.compile(r"input_blocks_[12]_1_|output_blocks_(9|10|11)_"), _SD12, "SD1/SD2 UNet block layout"),
    (re.compile(r"up_blocks_0_attentions|output_blocks_[0-2]_1_(transformer|proj|norm)"),
     frozenset({SDXL}), "SDXL UNet block layout"),
    (re.compile(r"(attentions_\d+|blocks_\d+_1|middle_block_1)_transformer_blocks_[1-9]_"), frozenset({SDXL}),
     "SDXL multi-block transformer (transformer_blocks 1-9)"),
    (re.compile(r"double_blocks|single_blocks|single_transformer_blocks|x_embedder|img_in|guidance_in"),
     frozenset({FLUX}), "FLUX block names"),
    (re.compile(r"joint_blocks|context_block|x_block|pos_embed"), frozenset({SD3}), "SD3 MMDiT block names"),
    (re.compile(r"add_[qkv]_proj|ff_context|context_embedder"), _JOINT, "MMDiT joint-attention names"),
    (_QWEN_NAMES, frozenset({QWEN_IMAGE}), "Qwen-Image img_mlp/txt_mlp names"),
    (_WAN_KEY, frozenset({WAN22}), "Wan blocks.N.self_attn/cross_attn/ffn names"),
)  # fmt: skip
_METADATA_CLUES = (
    ("sdxl", frozenset({SDXL})), ("stable-diffusion-xl", frozenset({SDXL})), ("sd_v1", frozenset({SD15})),
    ("stable-diffusion-v1", frozenset({SD15})), ("sd_v2", frozenset({SD2})), ("stable-diffusion-v2", frozenset({SD2})),
    ("sd3", frozenset({SD3})), ("stable-diffusion-v3", frozenset({SD3})), ("flux", frozenset({FLUX})),
)  # fmt: skip


@dataclass(frozen=True)
class Clue:
    families: frozenset[str]
    weight: int
    text: str


@dataclass(frozen=True)
class FamilyGuess:
    """`family` is a family id from `families.py`, or None when the clues are missing or contradict."""

    family: str | None
    reason: str  # one line: the verdict and why
    evidence: tuple[str, ...]  # every clue found, strongest first

    @property
    def label(self) -> str:
        return family_label(self.family)


def _in_dim(info: TensorInfo) -> int | None:
    return info.shape[1] if len(info.shape) >= 2 else None


def _shape_clues(
    parsed: ParsedKey, flat: str, info: TensorInfo, dit: bool, dit_dims: Mapping[int, frozenset[str]]
) -> Iterator[tuple[frozenset[str], int, str]]:
    dim = _in_dim(info)
    if parsed.role != "down" or dim is None:
        return
    unet = parsed.component in ("unet", "compvis", "") and _UNET_KEY.search(flat) is not None
    if unet and _CROSS_ATTN_KV.search(flat) and dim in _CONTEXT_DIMS:
        yield _CONTEXT_DIMS[dim], SHAPE, f"cross-attention context dim {dim} (attn2 to_k/to_v input)"
    if unet and flat.endswith("proj_in") and len(info.shape) == 4:
        yield frozenset({SD15}), NAME, "convolutional proj_in (SD 1.5 spatial transformer)"
    # FLUX and SD3 LoRAs train the same CLIP encoders (lora_te1_ 768, lora_te2_ 1280), so these widths only
    # tell the UNet families apart.
    te_attn = not dit and _TE_HIDDEN_IN.search(flat) is not None
    if te_attn and parsed.component in ("te", "te1") and dim in _TE_DIMS:
        yield _TE_DIMS[dim], SHAPE, f"text encoder hidden size {dim}"
    if te_attn and parsed.component == "te2" and dim == 1280:
        yield frozenset({SDXL}), SHAPE, "second text encoder hidden size 1280 (OpenCLIP bigG)"
    if not unet and _DIT_ATTN_IN.search(flat) and dim in dit_dims:
        yield dit_dims[dim], SHAPE, f"transformer hidden size {dim} (attention input)"


def _name_clues(parsed: ParsedKey, flat: str, dit: bool) -> Iterator[tuple[frozenset[str], int, str]]:
    for pattern, families, text in _NAME_CLUES:
        if pattern.search(flat) and (families <= _UNET_ONLY) != dit:
            yield families, NAME, text
    if parsed.component == "te2" and not dit:
        yield frozenset({SDXL}), NAME, "second text encoder keys (lora_te2_ / text_encoder_2)"
    if parsed.component in ("te", "te1") and not dit:
        layer = _TE_LAYER.search(flat)
        # CLIP ViT-L (SD 1.5, SDXL's first encoder) has 12 layers, OpenCLIP ViT-H (SD 2.x) 24.
        if layer is not None and 12 <= int(layer.group(1)) < 24:
            yield frozenset({SD2}), NAME, "text encoder layer index 12-23 (OpenCLIP ViT-H)"
    if parsed.component == "transformer":
        yield _DIT, WEAK, "diffusers transformer keys (FLUX or SD3)"


def _metadata_clues(metadata: Mapping[str, str]) -> Iterator[tuple[frozenset[str], int, str]]:
    for key in ("ss_base_model_version", "modelspec.architecture"):
        value = metadata.get(key, "").lower()
        for needle, families in _METADATA_CLUES:
            if needle in value:
                yield families, WEAK, f"metadata {key}={value!r}"
                break
    if metadata.get("ss_v2", "").lower() == "true" and "ss_base_model_version" not in metadata:
        yield frozenset({SD2}), WEAK, "metadata ss_v2=True"


def _is_dit(parsed_keys: list[tuple[ParsedKey, str]]) -> bool:
    """DiT files reuse `lora_te2_` for other encoders and `transformer_blocks` for other blocks."""
    if any(_UNET_KEY.search(flat) for _, flat in parsed_keys):
        return False
    return any(p.component in ("transformer", "dit") or _DIT_KEY.search(flat) or _WAN_KEY.search(flat)
               for p, flat in parsed_keys)  # fmt: skip


def collect_clues(header: SafetensorsHeader) -> list[Clue]:
    parsed_keys = [(parse_key(name), name.replace(".", "_")) for name in header.names]
    dit = _is_dit(parsed_keys)
    dit_dims = _QWEN_DIT_DIMS if any(_QWEN_NAMES.search(flat) for _, flat in parsed_keys) else _DIT_DIMS
    counts: dict[tuple[frozenset[str], int, str], int] = defaultdict(int)
    for parsed, flat in parsed_keys:
        module_flat = parsed.module.replace(".", "_")
        for clue in _shape_clues(parsed, module_flat, header.tensors[parsed.key], dit, dit_dims):
            counts[clue] += 1
        for clue in _name_clues(parsed, flat, dit):
            counts[clue] += 1
    clues = [Clue(families, weight, f"{text} [{n} key{'s' if n != 1 else ''}]")
             for (families, weight, text), n in counts.items()]  # fmt: skip
    clues.extend(Clue(families, weight, text) for families, weight, text in _metadata_clues(header.metadata))
    return sorted(clues, key=lambda c: (-c.weight, c.text))


def _families_text(families: frozenset[str]) -> str:
    return " or ".join(family_label(f) for f in sorted(families))


def decide_family(clues: list[Clue]) -> FamilyGuess:
    evidence = tuple(f"{_families_text(c.families)}: {c.text}" for c in clues)
    if not clues:
        return FamilyGuess(None, "unsure: no key name, shape or metadata points to a model family", evidence)
    strong = [c for c in clues if c.weight >= NAME]
    for i, first in enumerate(strong):
        for second in strong[i + 1 :]:
            if not first.families & second.families:
                return FamilyGuess(None, f"unsure: contradictory clues ({first.text}) vs ({second.text})", evidence)
    scores: dict[str, int] = defaultdict(int)
    for clue in clues:
        for family in clue.families:
            scores[family] += clue.weight
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        tied = frozenset(f for f, s in ranked if s == ranked[0][1])
        return FamilyGuess(None, f"unsure: could be {_families_text(tied)}", evidence)
    family = ranked[0][0]
    best = next((c for c in clues if c.families == {family}), None) or next(c for c in clues if family in c.families)
    return FamilyGuess(family, f"{family_label(family)}: {best.text}", evidence)


def detect_family(header: SafetensorsHeader) -> FamilyGuess:
    return decide_family(collect_clues(header))


def family_mismatch_message(guess: FamilyGuess, model_family: str | None) -> str | None:
    """The refusal to show when a LoRA clearly belongs to another family than the loaded model, else None."""
    if guess.family is None or model_family is None or guess.family == model_family:
        return None
    return (
        f"This LoRA is for {family_label(guess.family)}, but the loaded model is {family_label(model_family)}; "
        f"it would not apply (the file may be mislabelled in the catalogue). Evidence: {guess.reason}"
    )
