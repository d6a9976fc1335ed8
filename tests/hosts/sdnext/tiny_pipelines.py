"""Tiny random-weight diffusers pipelines of the 2025-26 families, and tiny LoRAs in the real files' key layouts,
for the SD.Next end-to-end layer (tests/e2e/test_families.py). Nothing is downloaded.

Run with the SD.Next venv (its diffusers 0.39.0 / transformers 5.13.0 / torch):

    ~/webui-harness/sdnext-venv/bin/python tests/hosts/sdnext/tiny_pipelines.py [--out DIR]

DIR (default $ACC_ROOT/tiny-pipelines) gets:
- `Diffusers/<name>/`: one `save_pretrained` folder per checkpoint, with the real pipeline, transformer, VAE and
  text-encoder classes built from small configs; tokenizers are trained here with the `tokenizers` library. The
  e2e stack points SD.Next's `diffusers_dir` option at this folder, where SD.Next lists every folder holding a
  `model_index.json` as a checkpoint (`modules/modelloader.py:117-141` at 058a7f0c).
- `Diffusers/models--Tongyi-MAI--Z-Image/`: a local Hub-cache entry, because SD.Next loads a local Z-Image folder's
  transformer and text encoder from the folder but the rest of the pipeline from that repo id
  (`pipelines/model_z_image.py:53-54`, `pipelines/generic_map.py:5`); diffusers falls back to the cache when the
  Hub answers with an error.
- `loras/`: tiny random LoRAs whose shapes fit the tiny transformers, in the layouts of the real files
  (Qwen-Image-Lightning: bare `transformer_blocks.N.<module>.lora_down/lora_up/alpha`; lightx2v Wan 2.2:
  `diffusion_model.blocks.N.<original Wan module>.lora_down/lora_up/alpha`, one file per expert).
- links to the `models--*` entries of SD.Next's own `models/Diffusers` (setup.sh's config-only entries): with
  `diffusers_dir` pointed here, `from_single_file` still finds the SD 1.5 / SDXL configs in it
  (`modules/sd_models.py:725`).
- `manifest.json`: what was built (checkpoint titles, base variants, LoRA files and their families).

Folder names are what SD.Next reads its pipeline choice from (file:line at 058a7f0c):
- `modules/sd_detect.py:47-180` guesses the loader from the path ("qwen", "wan", "z-image", "flux.2" + "klein"),
  `:183-236` from `model_index.json`'s class; `modules/sd_models.py:361-616` dispatches to `pipelines/model_*.py`.
- Qwen: `pipelines/model_qwen.py:19-43`: "2509"/"2511" in the path -> QwenImageEditPlusPipeline, "Edit" ->
  QwenImageEditPipeline, else QwenImagePipeline.
- FLUX.2: "klein" with "flux.2" in the path -> `pipelines/model_flux2_klein.py` (Flux2KleinPipeline, Qwen3 encoder),
  else `pipelines/model_flux2.py` (Flux2Pipeline, Mistral3 encoder); Chroma: `pipelines/model_chroma.py` (T5).
- Text encoders come from the folder only with the option `te_shared_te` off; on, SD.Next loads them from other
  repo ids (`pipelines/generic_text_encoder.py:146-156`, `pipelines/generic_shared.py`).
- Wan: `pipelines/model_wanai.py:34-47`: "a14b" in the path loads the experts the `model_wan_stage` option names;
  `:12` loads the text encoder from `Wan-AI/Wan2.1-T2V-1.3B-Diffusers` whenever the path has "Wan2.", so the
  folder is named "Wan2_2-..." to keep the tiny encoder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import save_file

SEED = 1234
HIDDEN = 16  # text encoders' hidden size
VOCAB = 400
SPECIAL = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "a red cube on a table",
    "a lighthouse at dusk, photo, high detail",
    "Describe the image by detailing the color, shape, size, texture, quantity, text, spatial relationships",
    "system user assistant the of and to in is for on with as by at from",
] * 20


def _bpe_tokenizer() -> Any:
    """A byte-level BPE tokenizer in the Qwen2 way (the Qwen2.5-VL / Qwen3 text encoders' tokenizer class)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB - len(SPECIAL), initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    raw.train_from_iterator(CORPUS, trainer)
    model = json.loads(raw.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tokenizer = Qwen2Tokenizer(vocab=model["vocab"], merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL[1:]})
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def _t5_tokenizer() -> Any:
    """A Unigram tokenizer in the T5 way (UMT5 / T5 text encoders)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import T5Tokenizer

    raw = Tokenizer(models.Unigram())
    raw.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=200, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>", show_progress=False
    )
    raw.train_from_iterator(CORPUS, trainer)
    vocab = [(piece, score) for piece, score in json.loads(raw.to_str())["model"]["vocab"]]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def _qwen25vl(tokenizer: Any) -> Any:
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL}
    config = Qwen2_5_VLConfig(
        text_config={
            "hidden_size": HIDDEN,
            "intermediate_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "vocab_size": VOCAB,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            "rope_theta": 1000000.0,
        },
        vision_config={
            "depth": 2,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_heads": 2,
            "out_hidden_size": HIDDEN,
        },
        vocab_size=VOCAB,
        bos_token_id=None,
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    return Qwen2_5_VLForConditionalGeneration(config).eval()


def _qwen3(layers: int) -> Any:
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(
        hidden_size=HIDDEN,
        intermediate_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=8,
        vocab_size=VOCAB,
        max_position_embeddings=1024,
    )
    return Qwen3ForCausalLM(config).eval()


def _flow_scheduler(**config: Any) -> Any:
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler(**config)


def qwen_image(edit_plus: bool = False) -> Any:
    import diffusers

    tokenizer = _bpe_tokenizer()
    transformer = diffusers.QwenImageTransformer2DModel(
        patch_size=2,
        in_channels=16,
        out_channels=4,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=HIDDEN,
        axes_dims_rope=(4, 6, 6),
    )
    vae = diffusers.AutoencoderKLQwenImage(
        base_dim=16, z_dim=4, dim_mult=[1, 1, 1, 1], num_res_blocks=1, latents_mean=[0.0] * 4, latents_std=[1.0] * 4
    )
    # Qwen-Image's own scheduler config (dynamic shifting, exponential time shift): SD.Next's shift must replace it
    scheduler = _flow_scheduler(
        shift=1.0, use_dynamic_shifting=True, base_shift=0.5, max_shift=0.9, base_image_seq_len=256,
        max_image_seq_len=8192, time_shift_type="exponential",
    )  # fmt: skip
    parts = {"scheduler": scheduler, "vae": vae, "text_encoder": _qwen25vl(tokenizer), "tokenizer": tokenizer}
    if edit_plus:
        from transformers import Qwen2VLImageProcessor, Qwen2VLProcessor, Qwen2VLVideoProcessor

        processor = Qwen2VLProcessor(
            image_processor=Qwen2VLImageProcessor(), tokenizer=tokenizer, video_processor=Qwen2VLVideoProcessor()
        )
        return diffusers.QwenImageEditPlusPipeline(**parts, processor=processor, transformer=transformer)
    return diffusers.QwenImagePipeline(**parts, transformer=transformer)


def _wan_expert() -> Any:
    import diffusers

    return diffusers.WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=8,
        in_channels=4,
        out_channels=4,
        text_dim=HIDDEN,
        freq_dim=32,
        ffn_dim=32,
        num_layers=2,
        rope_max_seq_len=32,
    )


def wan22_t2v() -> Any:
    import diffusers
    from transformers import UMT5Config, UMT5EncoderModel

    tokenizer = _t5_tokenizer()
    text_encoder = UMT5EncoderModel(
        UMT5Config(d_model=HIDDEN, d_kv=8, d_ff=32, num_layers=2, num_heads=2, vocab_size=len(tokenizer))
    ).eval()
    vae = diffusers.AutoencoderKLWan(
        base_dim=16, z_dim=4, dim_mult=[1, 1, 1, 1], num_res_blocks=1, latents_mean=[0.0] * 4, latents_std=[1.0] * 4
    )
    return diffusers.WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=_flow_scheduler(shift=12.0),  # Wan 2.2 T2V A14B ships shift 12
        transformer=_wan_expert(),
        transformer_2=_wan_expert(),
        boundary_ratio=0.875,  # as Wan2.2-T2V-A14B-Diffusers: high-noise expert above t = 875
    )


def _small_vae() -> Any:
    import diffusers

    return diffusers.AutoencoderKL(
        block_out_channels=(16, 16, 16, 16),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        scaling_factor=1.0,
        shift_factor=0.0,
    )


def z_image() -> Any:
    import diffusers

    transformer = diffusers.ZImageTransformer2DModel(
        all_patch_size=(2,),
        all_f_patch_size=(1,),
        in_channels=4,
        dim=32,
        n_layers=2,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
        cap_feat_dim=HIDDEN,
        axes_dims=[8, 4, 4],
        axes_lens=[256, 64, 64],
    )
    return diffusers.ZImagePipeline(
        scheduler=_flow_scheduler(shift=3.0),
        vae=_small_vae(),
        text_encoder=_qwen3(2),
        tokenizer=_bpe_tokenizer(),
        transformer=transformer,
    )


def _flux2_parts(guidance_embeds: bool) -> tuple[Any, Any]:
    """The transformer and VAE both FLUX.2 pipelines share; only [dev] embeds the guidance value."""
    import diffusers

    transformer = diffusers.Flux2Transformer2DModel(
        patch_size=1,
        in_channels=16,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        # Klein stacks three hidden layers of its Qwen3 encoder, [dev] layers 10, 20 and 30 of Mistral Small 3
        joint_attention_dim=3 * HIDDEN,
        timestep_guidance_channels=32,
        axes_dims_rope=(4, 4, 4, 4),
        guidance_embeds=guidance_embeds,
    )
    vae = diffusers.AutoencoderKLFlux2(
        block_out_channels=(16, 16, 16, 16), layers_per_block=1, latent_channels=4, norm_num_groups=8
    )
    return transformer, vae


def flux2_klein() -> Any:
    import diffusers

    transformer, vae = _flux2_parts(guidance_embeds=False)
    return diffusers.Flux2KleinPipeline(
        scheduler=_flow_scheduler(shift=3.0, use_dynamic_shifting=True),
        vae=vae,
        text_encoder=_qwen3(28),  # hidden states 9, 18 and 27 are read
        tokenizer=_bpe_tokenizer(),
        transformer=transformer,
        is_distilled=True,
    )


def flux2_dev() -> Any:
    import diffusers
    from transformers import Mistral3Config, Mistral3ForConditionalGeneration, PixtralImageProcessor, PixtralProcessor

    transformer, vae = _flux2_parts(guidance_embeds=True)
    tokenizer = _bpe_tokenizer()
    config = Mistral3Config(
        text_config={
            "model_type": "mistral", "hidden_size": HIDDEN, "intermediate_size": 32, "num_hidden_layers": 31,
            "num_attention_heads": 2, "num_key_value_heads": 2, "head_dim": 8, "vocab_size": VOCAB,
        },
        vision_config={
            "model_type": "pixtral", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
            "num_attention_heads": 2, "head_dim": 8, "image_size": 64, "patch_size": 16,
        },
        image_token_index=tokenizer.convert_tokens_to_ids("<|image_pad|>"),
    )  # fmt: skip
    chat = (
        "{% for m in messages %}{% for c in m['content'] %}{% if c['type'] == 'text' %}"
        "<|im_start|>{{ m['role'] }}\n{{ c['text'] }}<|im_end|>\n{% endif %}{% endfor %}{% endfor %}"
    )
    processor = PixtralProcessor(
        image_processor=PixtralImageProcessor(), tokenizer=tokenizer, chat_template=chat, image_token="<|image_pad|>"
    )
    return diffusers.Flux2Pipeline(
        scheduler=_flow_scheduler(shift=3.0, use_dynamic_shifting=True),
        vae=vae,
        text_encoder=Mistral3ForConditionalGeneration(config).eval(),
        tokenizer=processor,
        transformer=transformer,
    )


def chroma() -> Any:
    import diffusers
    from transformers import T5Config, T5EncoderModel

    tokenizer = _t5_tokenizer()
    text_encoder = T5EncoderModel(
        T5Config(d_model=HIDDEN, d_kv=8, d_ff=32, num_layers=2, num_heads=2, vocab_size=len(tokenizer))
    ).eval()
    transformer = diffusers.ChromaTransformer2DModel(
        patch_size=1,
        in_channels=16,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=HIDDEN,
        axes_dims_rope=(4, 6, 6),
        approximator_num_channels=16,
        approximator_hidden_dim=32,
        approximator_layers=1,
    )
    return diffusers.ChromaPipeline(
        scheduler=_flow_scheduler(shift=3.0, use_dynamic_shifting=True),
        vae=_small_vae(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )


# --- LoRAs in the real files' layouts ----------------------------------------------------------------------------
# Wan's original module names, as lightx2v's files use them, for the diffusers modules of one block
_WAN_ORIGINAL = {
    "attn1.to_q": "self_attn.q",
    "attn1.to_k": "self_attn.k",
    "attn1.to_v": "self_attn.v",
    "attn1.to_out.0": "self_attn.o",
    "attn2.to_q": "cross_attn.q",
    "attn2.to_k": "cross_attn.k",
    "attn2.to_v": "cross_attn.v",
    "attn2.to_out.0": "cross_attn.o",
    "ffn.net.0.proj": "ffn.0",
    "ffn.net.2": "ffn.2",
}
_QWEN_MODULES = (
    "attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0", "attn.add_q_proj", "attn.add_k_proj",
    "attn.add_v_proj", "attn.to_add_out", "img_mlp.net.0.proj", "img_mlp.net.2", "txt_mlp.net.0.proj",
    "txt_mlp.net.2",
)  # fmt: skip


def _linears(module: torch.nn.Module) -> dict[str, tuple[int, int]]:
    return {n: (m.in_features, m.out_features) for n, m in module.named_modules() if isinstance(m, torch.nn.Linear)}


def _lora(names: dict[str, tuple[int, int]], seed: int, rank: int = 4, std: float = 0.3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    tensors: dict[str, np.ndarray] = {}
    for base, (fin, fout) in names.items():
        tensors[f"{base}.lora_down.weight"] = (rng.standard_normal((rank, fin)) * std).astype(np.float32)
        tensors[f"{base}.lora_up.weight"] = (rng.standard_normal((fout, rank)) * std).astype(np.float32)
        tensors[f"{base}.alpha"] = np.array(float(rank), dtype=np.float32)
    return tensors


def qwen_lightning_lora(transformer: torch.nn.Module, seed: int) -> dict[str, np.ndarray]:
    linears = _linears(transformer)
    names = {
        f"transformer_blocks.{i}.{m}": linears[f"transformer_blocks.{i}.{m}"]
        for i in range(len(transformer.transformer_blocks))  # type: ignore[arg-type]
        for m in _QWEN_MODULES
    }
    return _lora(names, seed)


def wan_lightx2v_lora(expert: torch.nn.Module, seed: int) -> dict[str, np.ndarray]:
    linears = _linears(expert)
    names = {
        f"diffusion_model.blocks.{i}.{original}": linears[f"blocks.{i}.{module}"]
        for i in range(len(expert.blocks))  # type: ignore[arg-type]
        for module, original in _WAN_ORIGINAL.items()
    }
    return _lora(names, seed)


# --- building -----------------------------------------------------------------------------------------------------
def _save(pipe: Any, folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    pipe.save_pretrained(str(folder), safe_serialization=True)


def _cache_entry(diffusers_dir: Path, repo_id: str, source: Path) -> None:
    """A local Hub-cache entry for `repo_id` holding the folder `source` (diffusers' cache layout)."""
    entry = diffusers_dir / ("models--" + repo_id.replace("/", "--"))
    revision = "0" * 40
    if entry.exists():
        shutil.rmtree(entry)
    (entry / "refs").mkdir(parents=True)
    (entry / "refs" / "main").write_text(revision, encoding="utf-8")
    shutil.copytree(source, entry / "snapshots" / revision)


def _alias(diffusers_dir: Path, name: str, target: str) -> None:
    """Another checkpoint name for the same folder: what SD.Next reads from names (precision, base) differs."""
    link = diffusers_dir / name
    if link.is_symlink() or link.exists():
        link.unlink() if link.is_symlink() else shutil.rmtree(link)
    link.symlink_to(target, target_is_directory=True)


def build(out: Path, only: set[str] | None = None) -> dict[str, Any]:
    torch.manual_seed(SEED)
    diffusers_dir, loras = out / "Diffusers", out / "loras"
    diffusers_dir.mkdir(parents=True, exist_ok=True)
    loras.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"checkpoints": [], "loras": []}

    def checkpoint(name: str, family: str, base: str, precision: str = "") -> None:
        manifest["checkpoints"].append(
            {"title": f"Diffusers/{name}", "family": family, "base_variant": base, "precision": precision}
        )

    def lora(filename: str, family: str, tensors: dict[str, np.ndarray], layout: str, **extra: str) -> None:
        save_file(tensors, str(loras / filename), metadata={"made_by": f"accelerator tests, tiny {family} {layout}"})
        manifest["loras"].append({"filename": filename, "family": family, "layout": layout, **extra})

    wanted = only or {"qwen_image", "wan22", "z_image", "flux2", "chroma"}
    if "qwen_image" in wanted:
        pipe = qwen_image()
        _save(pipe, diffusers_dir / "Qwen-Image-tiny")
        checkpoint("Qwen-Image-tiny", "qwen_image", "original")  # its name tells no precision
        _alias(diffusers_dir, "Qwen-Image-fp8-e4m3fn-tiny", "Qwen-Image-tiny")
        checkpoint("Qwen-Image-fp8-e4m3fn-tiny", "qwen_image", "original", "fp8")
        for seed, base in enumerate(("original", "edit", "edit-2509"), start=11):
            lora(f"tiny-qwen-lightning-{base}.safetensors", "qwen_image",
                 qwen_lightning_lora(pipe.transformer, seed), "qwen-lightning", base_variant=base)  # fmt: skip
        edit = qwen_image(edit_plus=True)
        _save(edit, diffusers_dir / "Qwen-Image-Edit-2509-tiny")
        checkpoint("Qwen-Image-Edit-2509-tiny", "qwen_image", "edit-2509")
        _alias(diffusers_dir, "Qwen-Image-Edit-2511-tiny", "Qwen-Image-Edit-2509-tiny")
        checkpoint("Qwen-Image-Edit-2511-tiny", "qwen_image", "edit-2511")
    if "wan22" in wanted:
        pipe = wan22_t2v()
        _save(pipe, diffusers_dir / "Wan2_2-T2V-A14B-tiny")
        checkpoint("Wan2_2-T2V-A14B-tiny", "wan22", "t2v-a14b")
        lora("tiny-wan22_t2v_high_noise_lightx2v.safetensors", "wan22",
             wan_lightx2v_lora(pipe.transformer, 21), "lightx2v", role="high_noise")  # fmt: skip
        lora("tiny-wan22_t2v_low_noise_lightx2v.safetensors", "wan22",
             wan_lightx2v_lora(pipe.transformer_2, 22), "lightx2v", role="low_noise")  # fmt: skip
    if "z_image" in wanted:
        _save(z_image(), diffusers_dir / "Z-Image-Turbo-tiny")
        checkpoint("Z-Image-Turbo-tiny", "z_image", "turbo")
        _alias(diffusers_dir, "Z-Image-tiny", "Z-Image-Turbo-tiny")
        checkpoint("Z-Image-tiny", "z_image", "base")
        _cache_entry(diffusers_dir, "Tongyi-MAI/Z-Image", diffusers_dir / "Z-Image-Turbo-tiny")
    if "flux2" in wanted:
        _save(flux2_klein(), diffusers_dir / "FLUX.2-klein-4B-tiny")
        checkpoint("FLUX.2-klein-4B-tiny", "flux2", "klein")
        _save(flux2_dev(), diffusers_dir / "FLUX.2-dev-tiny")
        checkpoint("FLUX.2-dev-tiny", "flux2", "dev")
    if "chroma" in wanted:
        _save(chroma(), diffusers_dir / "Chroma1-HD-tiny")
        checkpoint("Chroma1-HD-tiny", "chroma", "")
    sdnext_entries = Path(os.environ.get("ACC_ROOT", Path.home() / "webui-harness")) / "sdnext" / "models" / "Diffusers"
    for entry in sorted(sdnext_entries.glob("models--*")) if sdnext_entries.is_dir() else []:
        if not (diffusers_dir / entry.name).exists():
            (diffusers_dir / entry.name).symlink_to(entry, target_is_directory=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main() -> int:
    root = Path(os.environ.get("ACC_ROOT", Path.home() / "webui-harness"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=root / "tiny-pipelines")
    parser.add_argument("--only", nargs="*", help="families to build (default: all)")
    args = parser.parse_args()
    manifest = build(args.out, set(args.only) if args.only else None)
    print(json.dumps(manifest, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
