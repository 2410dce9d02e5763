"""``CodecContract``: the test suite every codec's tests subclass.

::

    class TestYamlCodec(CodecContract):
        codec = "yaml"                                   # a registered name, or an instance
        samples = [{"a": 1}, [1, "two"], "text", None]   # decode(encode(v)) == v
        bad_inputs = [b"a: [1, 2", b"\\xff\\xfe"]         # must raise flow.CodecError

A codec must raise :class:`~flow.CodecError` for every input it cannot
handle — never ``ValueError``, ``UnicodeDecodeError`` or a parser's own
error — so that a Capacitor can tell "bad data" from "bug". The suite checks
that on the listed bad inputs and on random bytes and text (hypothesis).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..errors import CodecError
from ..live.codecs import Codec, get_codec

__all__ = ["CodecContract"]


class CodecContract:
    """Checks a codec: round trips, the error type on bad input, and fuzzed input.

    Subclass it in a class named ``Test…`` and set the class attributes.
    """

    #: The codec under test: a registered name (resolved through the plugin registry,
    #: which checks the registration too) or an instance.
    codec: ClassVar[str | Codec]
    #: Values that must round-trip: ``decode(encode(v)) == v``.
    samples: ClassVar[Sequence[object]] = ()
    #: Bytes that ``decode`` must refuse with :class:`~flow.CodecError`.
    bad_inputs: ClassVar[Sequence[bytes]] = ()
    #: Values that ``encode`` must refuse with :class:`~flow.CodecError` (``()``: none).
    unencodable: ClassVar[Sequence[object]] = (object(),)
    #: Optional hypothesis strategy of values that must round-trip.
    values: ClassVar[SearchStrategy[object] | None] = None
    #: Examples per fuzz test (random bytes, random text, generated values).
    fuzz_examples: ClassVar[int] = 100

    def get_codec(self) -> Codec:
        """The codec instance under test."""
        codec = getattr(type(self), "codec", None)
        if codec is None:
            pytest.fail(f"{type(self).__name__} must set `codec` (a name or an instance)")
        return get_codec(codec) if isinstance(codec, str) else codec

    def test_is_a_codec(self) -> None:
        codec = self.get_codec()
        assert isinstance(codec, Codec), f"{codec!r} lacks name, extensions, decode or encode"
        assert isinstance(codec.name, str)
        assert codec.name
        assert all(ext.startswith(".") for ext in codec.extensions), (
            f"extensions must start with a dot: {codec.extensions!r}"
        )

    def test_samples_round_trip(self) -> None:
        if not self.samples:
            pytest.fail(f"{type(self).__name__} lists no `samples` to round-trip")
        codec = self.get_codec()
        for sample in self.samples:
            encoded = codec.encode(sample)
            assert type(encoded) is bytes, f"encode({sample!r}) returned {type(encoded).__name__}"
            decoded = codec.decode(encoded)
            assert decoded == sample, f"{sample!r} came back as {decoded!r} (encoded {encoded!r})"
            # Encoding is stable: what was decoded encodes to the same bytes.
            assert codec.encode(decoded) == encoded, f"re-encoding {sample!r} changed its bytes"

    def test_bad_inputs_raise_codec_error(self) -> None:
        if not self.bad_inputs:
            pytest.fail(f"{type(self).__name__} lists no `bad_inputs` that must be refused")
        codec = self.get_codec()
        for data in self.bad_inputs:
            message = str(_codec_error_for(codec, data))
            assert message.strip(), f"decoding {data!r} raised a CodecError with no message"
            assert codec.name in message, (
                f"the error for {data!r} should name the codec {codec.name!r}: {message}"
            )

    def test_unencodable_values_raise_codec_error(self) -> None:
        codec = self.get_codec()
        for value in self.unencodable:
            with pytest.raises(CodecError):
                codec.encode(value)

    def test_random_bytes_decode_or_raise_codec_error(self) -> None:
        codec = self.get_codec()

        @self._fuzz
        @given(data=st.binary(max_size=512))
        def decode_bytes(data: bytes) -> None:
            _decode_or_codec_error(codec, data)

        decode_bytes()

    def test_random_text_decodes_or_raises_codec_error(self) -> None:
        # Valid UTF-8 gets past the decoding step and into the parser itself.
        codec = self.get_codec()

        @self._fuzz
        @given(text=st.text(max_size=256))
        def decode_text(text: str) -> None:
            _decode_or_codec_error(codec, text.encode("utf-8"))

        decode_text()

    def test_generated_values_round_trip(self) -> None:
        if self.values is None:
            pytest.skip("no `values` strategy given; the listed samples are the round-trip check")
        codec = self.get_codec()

        @self._fuzz
        @given(value=self.values)
        def round_trip(value: object) -> None:
            encoded = codec.encode(value)
            decoded = codec.decode(encoded)
            assert decoded == value, f"{value!r} came back as {decoded!r} (encoded {encoded!r})"

        round_trip()

    @property
    def _fuzz(self) -> settings:
        return settings(
            max_examples=self.fuzz_examples,
            deadline=None,  # parsers are slow on their first calls; time is not the point
            report_multiple_bugs=False,
            suppress_health_check=[HealthCheck.too_slow],
        )


def _decode_or_codec_error(codec: Codec, data: bytes) -> None:
    __tracebackhide__ = True
    try:
        codec.decode(data)
    except CodecError:
        pass
    except Exception as exc:
        pytest.fail(_foreign(codec, data, exc), pytrace=False)


def _codec_error_for(codec: Codec, data: bytes) -> CodecError:
    __tracebackhide__ = True
    try:
        codec.decode(data)
    except CodecError as exc:
        return exc
    except Exception as exc:
        pytest.fail(_foreign(codec, data, exc), pytrace=False)
    pytest.fail(f"{codec.name}: decode({data!r}) accepted a bad input", pytrace=False)


def _foreign(codec: Codec, data: bytes, exc: Exception) -> str:
    shown = data if len(data) <= 64 else data[:64] + b"..."
    return (
        f"{codec.name}: decode({shown!r}) raised {type(exc).__name__}: {exc} — "
        "a codec must raise flow.CodecError for input it cannot decode"
    )
