"""CodecContract applied to the four core codecs, and shown to catch a codec's wrong errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest
from flow.live.codecs import JsonCodec
from flow.testing import CodecContract
from hypothesis import strategies as st

DEEP = b"[" * 2_000  # deeper than the parsers' recursion limit (1,000 frames)


def nested(text: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    """JSON-like values (what a config holds) whose strings come from ``text``."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | text,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=12,
    )


# PyYAML's emitter writes NEL, LS and PS raw with allow_unicode=True and its reader
# then takes them for line breaks, so such strings do not round-trip (reported to the
# lead); every other character does.
TOML_VALUES = st.recursive(
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)

YAML_UNSAFE = "\x85\u2028\u2029"


class TestJsonCodec(CodecContract):
    codec = "json"
    samples: ClassVar[Sequence[object]] = (
        {"a": 1, "b": [1, 2.5, None, True], "s": "clé-配置"},
        [],
        "text",
        0,
        None,
    )
    bad_inputs = (b"", b"{", b"[1,]", b"{'single': 1}", b"\xff\xfe\x00", DEEP)
    values = nested(st.text())


class TestYamlCodec(CodecContract):
    codec = "yaml"
    samples = ({"a": 1, "nested": {"list": [1, "two", None]}}, ["x"], "clé: 配置", 3.5, None)
    bad_inputs = (
        b"a: [1, 2",
        b"\xff\xfe",
        b"key: 'unterminated",
        b"!!python/object/apply:os.system ['true']",  # safe loading refuses objects
        b"2001-13-01",  # a timestamp with month 13
        DEEP,
    )
    values = nested(st.text(st.characters(blacklist_characters=YAML_UNSAFE)))


class TestTomlCodec(CodecContract):
    codec = "toml"
    samples: ClassVar[Sequence[object]] = ({"a": 1, "t": {"x": [1, 2]}, "s": "clé-配置"}, {})
    bad_inputs = (b"a = ", b"[t\nx = 1", b"\xff", b"a = 1\na = 2")
    unencodable = (object(), [1, 2])  # a TOML document is a table
    values = st.dictionaries(st.text(), TOML_VALUES, max_size=4)


class TestTextCodec(CodecContract):
    codec = "text"
    samples = ("", "hello", "clé-配置-ключ\n", "\x00 binary-looking but valid")
    bad_inputs = (b"\xff", b"\xc3", b"ok then \xed\xa0\x80")
    unencodable = (object(), b"bytes", 1)
    values = st.text()


# -- the contract catches codecs that break it ---------------------------------------------


class LeakyJson(JsonCodec):
    """Bug: lets the parser's own errors escape."""

    def decode(self, data: bytes) -> object:
        import json

        return json.loads(data)


class Contract(CodecContract):
    codec = LeakyJson()
    samples = ({"a": 1},)
    bad_inputs = (b"{",)


def test_a_codec_raising_a_foreign_error_on_bad_input_fails() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"raised JSONDecodeError: .* must raise"):
        Contract().test_bad_inputs_raise_codec_error()


def test_fuzzing_catches_a_codec_raising_a_foreign_error() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"must raise flow\.CodecError"):
        Contract().test_random_bytes_decode_or_raise_codec_error()


def test_a_codec_that_does_not_round_trip_fails() -> None:
    class Lossy(JsonCodec):
        def encode(self, value: object) -> bytes:
            return b"{}"

    class LossyContract(CodecContract):
        codec = Lossy()
        samples = ({"a": 1},)

    with pytest.raises(AssertionError, match=r"\{'a': 1\} came back as \{\}"):
        LossyContract().test_samples_round_trip()


def test_a_contract_without_samples_or_bad_inputs_says_so() -> None:
    class Empty(CodecContract):
        codec = "json"

    with pytest.raises(pytest.fail.Exception, match="lists no `samples`"):
        Empty().test_samples_round_trip()
    with pytest.raises(pytest.fail.Exception, match="lists no `bad_inputs`"):
        Empty().test_bad_inputs_raise_codec_error()


def test_an_unknown_codec_name_is_an_error() -> None:
    class Unknown(CodecContract):
        codec = "no-such-codec"

    with pytest.raises(Exception, match="no codec named 'no-such-codec'") as info:
        Unknown().get_codec()
    assert info.type.__name__ == "UnknownProviderError"
