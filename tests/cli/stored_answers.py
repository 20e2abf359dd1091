"""The SQLite store's packed answers (src/store/sqlite/answers.hpp), read as the library reads them,
so that a test can compare two databases' answers: a BLOB is a format byte (1), the text's length as a
varint, then an LZ4 block against the library's dictionary, which is read from answers.cpp (its
kDictionary1 literals, joined as the compiler joins them) and decoded by liblz4 itself."""
import ctypes
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "store" / "sqlite" / "answers.cpp"


def _dictionary():
    text = SOURCE.read_text(encoding="utf-8")
    start = text.index("constexpr char kDictionary1[] =")
    block = text[start:text.index(')";', start) + 2]
    return "".join(re.findall(r'R"\((.*?)\)"', block, re.S)).encode("utf-8")


DICTIONARY = _dictionary()
_lz4 = ctypes.CDLL("liblz4.so.1")
_lz4.LZ4_decompress_safe_usingDict.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                                ctypes.c_char_p, ctypes.c_int]
_lz4.LZ4_decompress_safe_usingDict.restype = ctypes.c_int


def unpack(blob):
    """The text of a packed answer."""
    assert blob[0] == 1, "not a packed answer"
    n, shift, p = 0, 0, 1
    while True:
        c = blob[p]
        p += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            break
    out = ctypes.create_string_buffer(n)
    block = bytes(blob[p:])
    got = _lz4.LZ4_decompress_safe_usingDict(block, out, len(block), n, DICTIONARY, len(DICTIONARY))
    assert got == n, "a damaged answer"
    return out.raw.decode("utf-8")


def value(v):
    """A column's value as text: packed answers unpacked."""
    return unpack(v) if isinstance(v, bytes) else str(v)
