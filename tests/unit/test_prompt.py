from hypothesis import given
from hypothesis import strategies as st

from lib_accelerator.prompt import format_strength, remove_lora_tag, set_lora_tag, tag_strength

names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,30}", fullmatch=True)
strengths = st.floats(min_value=0, max_value=2, allow_nan=False).map(lambda x: round(x, 2))
prompts = st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=60)


@given(prompts, names, strengths)
def test_set_is_idempotent(prompt, name, strength):
    once = set_lora_tag(prompt, name, strength)
    assert set_lora_tag(once, name, strength) == once
    assert once.count(f"<lora:{name}:") == 1


@given(prompts, names, strengths)
def test_set_then_remove_gives_back_the_prompt(prompt, name, strength):
    assert remove_lora_tag(set_lora_tag(prompt, name, strength), name) == prompt


@given(prompts, names, strengths, strengths)
def test_existing_tag_gets_new_strength_instead_of_a_second_tag(prompt, name, first, second):
    tagged = set_lora_tag(prompt, name, first)
    again = set_lora_tag(tagged, name, second)
    assert again.count("<lora:") == tagged.count("<lora:")
    assert tag_strength(again, name) == second


def test_other_loras_and_te_unet_forms_are_handled():
    prompt = "cat <lora:style:0.5> <LORA:fast:0.3:0.4> dog"
    out = set_lora_tag(prompt, "fast", 1)
    assert out == "cat <lora:style:0.5> <lora:fast:1> dog"
    assert remove_lora_tag(out, "fast") == "cat <lora:style:0.5> dog"
    assert remove_lora_tag(out, "fas") == out


def test_strength_text_reads_back():
    assert format_strength(1.0) == "1" and format_strength(0.75) == "0.75" and format_strength(0.125) == "0.125"
    assert set_lora_tag("", "x", 1.0) == "<lora:x:1>"
