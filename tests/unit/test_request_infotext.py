import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib_accelerator import infotext
from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog
from lib_accelerator.request import (
    FIELD_ORDER,
    Request,
    RequestError,
    check_names,
    from_mapping,
    from_script_args,
)

CATALOG = load_catalog(builtin_presets_dir())


def test_positional_order_is_the_ui_order():
    assert FIELD_ORDER == ("enabled", "method", "variant", "strength", "steps", "cfg", "sampler", "schedule")
    request = from_script_args([True, "lcm", "lcm-lora-sd15", 0.9, 6, 1.5, "Preset", "Simple"])
    assert request == Request(True, "lcm", "lcm-lora-sd15", 0.9, 6, 1.5, "", "Simple")


def test_dict_form_in_first_position():
    request = from_script_args([{"enabled": True, "method": "lightning", "steps": 8}, "ignored", "x"])
    assert request == Request(True, "lightning", steps=8)


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"steps": 0}, "'steps' is 0; allowed 1 to 150"),
        ({"steps": 4.5}, "'steps' must be a whole number"),
        ({"strength": "strong"}, "'strength' must be a number"),
        ({"cfg": 99}, "'cfg' is 99; allowed 1 to 30"),
        ({"speed": 2}, "unknown argument(s) speed; allowed: enabled, method"),
        ({"method": 3}, "'method' must be text"),
    ],
)
def test_bad_values_name_the_field(values, words):
    with pytest.raises(RequestError) as caught:
        from_mapping(values)
    assert words in str(caught.value)


def test_unknown_method_lists_available():
    with pytest.raises(RequestError, match="unknown method 'warp'; available: .*lightning"):
        check_names(Request(True, "warp"), CATALOG)
    with pytest.raises(RequestError, match="unknown variant 'x'; available: lcm-lora-sd15, lcm-lora-sdxl"):
        check_names(Request(True, "lcm", "x"), CATALOG)


def test_values_equal_to_the_shown_preset_follow_the_variant():
    shown = CATALOG.variant("lcm-lora-sd15")
    request = Request(True, "lcm", "lcm-lora-sd15", 1.0, 4, 1.0).relative_to(shown)
    assert (request.strength, request.steps, request.cfg) == (None, None, None)
    request = Request(True, "lcm", "lcm-lora-sd15", 0.7, 6, 1.0).relative_to(shown)
    assert (request.strength, request.steps, request.cfg) == (0.7, 6, None)


@given(
    st.sampled_from([v.id for v in CATALOG.all_variants()]),
    st.none() | st.floats(0, 2).map(lambda x: round(x, 2)),
    st.none() | st.integers(1, 150),
    st.none() | st.floats(1, 30).map(lambda x: round(x, 1)),
    st.sampled_from(["", "Euler", "LCM"]),
    st.sampled_from(["", "Simple", "SGM Uniform"]),
)
def test_infotext_round_trip(variant, strength, steps, cfg, sampler, schedule):
    request = Request(True, "", variant, strength, steps, cfg, sampler, schedule)
    encoded = infotext.encode(request, variant)
    as_text = {k: str(v) for k, v in encoded.items()}  # infotext is text once written into the PNG
    assert infotext.decode(as_text) == request


def test_decode_of_plain_image_is_none():
    assert infotext.decode({"Steps": "20"}) is None


def test_base_settings_survive_the_round_trip_as_the_webuis_own_keys():
    text = infotext.encode_base(30, 7.0, "DPM++ 2M", "Karras")
    assert text == "steps=30|cfg=7|sampler=DPM++ 2M|schedule=Karras"
    assert infotext.decode_base(text) == {
        "Steps": "30",
        "CFG scale": "7",
        "Sampler": "DPM++ 2M",
        "Schedule type": "Karras",
    }
    # A schedule left to the sampler: None (an API job before the WebUI fills it in) and "Automatic" are the
    # same choice, written the same way, and read back as "Automatic" (the infotext's own is the accelerated one).
    for left_to_the_sampler in (None, "Automatic"):
        text = infotext.encode_base(20, 5.5, "Euler a", left_to_the_sampler)
        assert text == "steps=20|cfg=5.5|sampler=Euler a"
        assert infotext.decode_base(text) == {
            "Steps": "20", "CFG scale": "5.5", "Sampler": "Euler a", "Schedule type": "Automatic",
        }  # fmt: skip
    assert infotext.decode_base("garbage|steps=|x=1") == {}
    assert infotext.decode_base("") == {}
