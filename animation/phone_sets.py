"""Phones of other tools -> the espeak-ng mnemonics `visemes.viseme_of` understands.

Three alphabets reach the mouth model's corpus besides espeak-ng's own:

- IPA, one code point per token, from piper's neural voices (`ipa_events` also folds the
  stress and length marks and the word gaps, which piper times as tokens of their own, into
  the phones around them);
- ARPAbet, from pocketsphinx's forced alignment (upper case) and Festival's English voices
  (lower case, the "radio" phone set);
- SAMPA with stress digits, from Festival's Italian voices (close to espeak-ng already).

Pauses of every alphabet become "_" (rest).
"""

from __future__ import annotations

from collections.abc import Iterable

PAUSE = "_"

ARPABET: dict[str, str] = {
    "aa": "A:", "ae": "a", "ah": "V", "ao": "O:", "aw": "aU", "ax": "@", "axr": "3",
    "ay": "aI", "eh": "E", "er": "3:", "ey": "eI", "ih": "I", "ix": "I", "iy": "i:",
    "ow": "oU", "oy": "OI", "uh": "U", "uw": "u:", "ux": "u:",
    "b": "b", "ch": "tS", "d": "d", "dh": "D", "dx": "r", "el": "l", "em": "m", "en": "n",
    "f": "f", "g": "g", "hh": "h", "hv": "h", "jh": "dZ", "k": "k", "l": "l", "m": "m",
    "n": "n", "ng": "N", "nx": "n", "p": "p", "r": "r", "s": "s", "sh": "S", "t": "t",
    "th": "T", "v": "v", "w": "w", "y": "j", "z": "z", "zh": "Z",
}  # fmt: skip
_SILENCES = frozenset(("pau", "sil", "h#", "#", "sp", "spn", "nsn", "<sil>", "brth", "cough",
                       "+nsn+", "+spn+", "+breath+", "+cough+", "+noise+", "[noise]"))  # fmt: skip

IPA: dict[str, str] = {
    # vowels
    "a": "a", "ɑ": "A", "æ": "a", "ɐ": "a#", "ə": "@", "ɚ": "3", "ɜ": "3", "ɝ": "3", "ʌ": "V",
    "e": "e", "ɛ": "E", "i": "i", "ɪ": "I", "ɨ": "i", "ᵻ": "I", "ɯ": "I", "u": "u", "ʉ": "u",
    "ʊ": "U", "y": "y", "ʏ": "Y", "ø": "2", "œ": "9", "o": "o", "ɔ": "O", "ɒ": "0", "ɵ": "@",
    "ɤ": "@",
    # consonants
    "p": "p", "b": "b", "m": "m", "ɱ": "F", "ɸ": "F", "β": "B", "f": "f", "v": "v", "ʋ": "v",
    "t": "t", "d": "d", "k": "k", "g": "g", "ɡ": "g", "c": "c", "ɟ": "J", "q": "q",
    "ʔ": "?", "θ": "T", "ð": "D", "s": "s", "z": "z", "ʃ": "S", "ʒ": "Z", "ɕ": "S", "ʑ": "Z",
    "ʂ": "S", "ʐ": "Z", "x": "x", "ɣ": "Q", "χ": "x", "h": "h", "ɦ": "h", "ç": "C", "j": "j",
    "ʝ": "j", "w": "w", "ɥ": "w", "l": "l", "ɫ": "l", "ʎ": "l", "ɭ": "l", "ɹ": "r", "ɾ": "r",
    "r": "r", "ʁ": "r", "ʀ": "r", "ɻ": "r", "n": "n", "ɲ": "n", "ŋ": "N", "ɳ": "n",
}  # fmt: skip
_IPA_STRESS = frozenset("ˈˌ")  # timed by piper; they belong to the phone they precede
_IPA_ATTACHED = frozenset("ːˑ\u0303\u0329\u032a\u0361\u02b0\u02b2\u02b7")  # to the one before
_IPA_PAUSES = frozenset('.,;:!?¡¿—…"()«»-^$_')  # punctuation, piper's BOS / EOS / PAD
_IPA_WORD_GAP = " "


def arpabet_to_mnemonic(phone: str) -> str:
    """ARPAbet (any case, stress digits allowed) -> espeak-ng mnemonic ('_' for pauses)."""
    name = phone.strip().lower().rstrip("012")
    if not name or name in _SILENCES or name.startswith("+"):
        return PAUSE
    return ARPABET.get(name, name)


def sampa_to_mnemonic(phone: str) -> str:
    """Festival's SAMPA-like phones (stress digit suffix, '#' pause) -> espeak-ng mnemonic."""
    name = phone.strip().rstrip("0123456789")
    if not name or name.lower() in _SILENCES:
        return PAUSE
    return name


def ipa_events(tokens: Iterable[tuple[str, float, float]]) -> list[tuple[str, float]]:
    """(IPA token, start s, end s) as piper times them -> [(mnemonic, onset s), ...].

    Stress marks start the phone after them; length and diacritic marks extend the phone
    before; a word gap is split between its neighbours (no pause in connected speech);
    punctuation and piper's sentence marks are pauses. Repeated pauses merge.
    """
    events: list[tuple[str, float]] = []
    carried: float | None = None  # onset inherited by the next phone (stress mark, word gap)
    for token, start, end in tokens:
        if token in _IPA_STRESS:
            carried = start if carried is None else carried
        elif token in _IPA_ATTACHED:
            continue
        elif token == _IPA_WORD_GAP:
            carried = 0.5 * (start + end) if carried is None else carried
        elif token in _IPA_PAUSES or not token.strip():
            if not events or events[-1][0] != PAUSE:
                events.append((PAUSE, start))
            carried = None
        else:
            onset = start if carried is None else carried
            events.append((IPA.get(token, token), onset))
            carried = None
    return events
