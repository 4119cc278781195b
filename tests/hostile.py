"""Hypothesis strategies for the whole space of text a user can send, as the audit tried it:
whitespace, digits, every Unicode category (lone surrogates and unassigned code points too),
control characters, Discord markup and format strings, alone and mixed with real questions."""

from __future__ import annotations

from hypothesis import strategies as st

WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
CONTROL = "".join(map(chr, range(32))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0)))
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2069\ufeff"
FRAGMENTS = [
    "who founded the cnrp", "when was it banned", "and", "and who", "also what", "?", "!", ";", ",",
    "cnrp share in kandal", "top", "bottom", "above", "below", "votes", "%", "his", "that province",
    "kem sokha", "2013", "1999", "0", "00", "3.5", "1,000", "-7", "1e9", "nan", "inf",
    "<@123456789012345678>", "<@!1>", "<#2>", "<@&3>", "<:e:4>", "<a:e:5>", "<t:1700000000:R>",
    "</ask:6>", "@everyone", "@here", "**", "__", "~~", "||", "`", "```", "# ", "> ", "-# ", "- ",
    "[official results](https://evil.example/login)", "https://x.example/a_b", "\\",
    "{", "}", "{0}", "{constituency}", "{__class__}", "{0.__class__.__mro__}", "%s", "%d", "%(x)s",
    "{figure[x]}", "\u27e6wikipedia|Infobox\u27e7", "\ud800", "\udcff", "\udc80\udc81", "\x00",
    "\u2028", "\u2029", "\x85", "😀", "👨‍👩‍👧", "គណបក្ស", "Партия", "柬埔寨", "ﷺ", "İ", "ß", "ﬀ", "Ⅻ",
    "²", "٣", "\u0301", "\u202e",
]


def _runs(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.sampled_from(alphabet), min_size=1, max_size=max_size)


# One character of any category: letters, marks, numbers, punctuation, symbols, separators,
# controls, format characters, private use, unassigned code points and lone surrogates.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())

PIECE = st.one_of(
    st.sampled_from(FRAGMENTS),
    _runs(WHITESPACE, 400),
    _runs("0123456789", 700),
    _runs(CONTROL + INVISIBLE, 50),
    st.text(ANY_CHARACTER, max_size=40),
    st.builds(lambda word, n: word * n, st.sampled_from(["and ", "? ", "cnrp ", "who ", "9"]),
              st.integers(1, 400)),
)

# A message: up to a few thousand characters, made of the pieces above.
MESSAGES = st.one_of(
    st.text(ANY_CHARACTER, max_size=300),
    st.lists(PIECE, max_size=12).map(" ".join),
    st.lists(PIECE, max_size=12).map("".join),
)

# What arrives on one line of stdin: anything but the line feed that ends it.
LINES = MESSAGES.map(lambda text: text.replace("\n", " "))
