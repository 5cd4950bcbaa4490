"""Error-correcting code for the watermark payload: CRC-32 + rate-1/2 convolutional code.

A 64-bit id gets a CRC-32 (polynomial 0x04C11DB7, MSB first, initial value all ones: a wrong
decode is caught with probability 1 - 2^-32), then the 96 bits plus 6 zero tail bits go through
the NASA K=7 (171, 133) convolutional code: 204 coded bits, free distance 10, so any 4 hard
errors are corrected and soft-decision Viterbi decoding gains ~5 dB over hard repetition. The
decoder is a list Viterbi decoder: of the ``LIST_SIZE`` = 32 most likely paths it returns the
first whose CRC checks (~1 dB over plain Viterbi on a short block), so a random input passes the
CRC with probability <= 32 * 2^-32 = 2^-27. The CRC is 32 bits (v2 had 16) because the
watermark's decision rests on it alone: see :mod:`provenance.watermark`.
Soft values follow the convention ``y > 0 <=> bit 1``; only their relative size matters.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CODED_BITS",
    "PAYLOAD_BITS",
    "bits_to_int",
    "crc32",
    "decode",
    "encode",
    "int_to_bits",
    "LIST_SIZE",
]

PAYLOAD_BITS = 64
CRC_BITS = 32
_CRC_POLY = 0x04C11DB7
_K = 7
_TAIL = _K - 1
_G = (0o171, 0o133)
INFO_BITS = PAYLOAD_BITS + CRC_BITS
CODED_BITS = 2 * (INFO_BITS + _TAIL)  # 204
_STATES = 1 << _TAIL


def _parity(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    for shift in (4, 2, 1):
        x ^= x >> shift
    return x & 1


# Register = (input << 6) | state; next state = register >> 1 (input becomes the MSB).
_REG = np.arange(1 << _K)
_OUT = np.stack([_parity(_REG & g) for g in _G], axis=1)  # (128, 2)
# Predecessors of each next state: register = (ns & 32) << 1 ... written out explicitly.
_NS = np.arange(_STATES)
_PRED_REG = np.stack(
    [((_NS >> 5) << 6) | ((_NS & 31) << 1) | b for b in (0, 1)], axis=1
)  # (64, 2) registers leading to ns
_PRED_STATE = _PRED_REG & (_STATES - 1)
_PRED_SYM = 2.0 * _OUT[_PRED_REG] - 1.0  # (64, 2, 2) bipolar outputs
_INPUT_OF_NS = (_NS >> 5) & 1


def int_to_bits(value: int, n: int = PAYLOAD_BITS) -> np.ndarray:
    if not 0 <= value < (1 << n):
        raise ValueError(f"value must fit in {n} bits")
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def bits_to_int(bits: np.ndarray) -> int:
    out = 0
    for b in np.asarray(bits, dtype=np.uint8):
        out = (out << 1) | int(b)
    return out


def crc32(bits: np.ndarray) -> np.ndarray:
    """CRC-32/MPEG-2 (polynomial 0x04C11DB7, MSB first, initial value all ones, no final XOR)
    of a bit string, as 32 bits."""
    reg = 0xFFFFFFFF
    for b in np.asarray(bits, dtype=np.uint8):
        top = ((reg >> 31) & 1) ^ int(b)
        reg = (reg << 1) & 0xFFFFFFFF
        if top:
            reg ^= _CRC_POLY
    return int_to_bits(reg, CRC_BITS)


def encode(payload: int) -> np.ndarray:
    """64-bit payload -> 204 coded bits (uint8)."""
    info = int_to_bits(payload)
    bits = np.concatenate([info, crc32(info), np.zeros(_TAIL, np.uint8)])
    state = 0
    out = np.empty(2 * len(bits), dtype=np.uint8)
    for i, b in enumerate(bits):
        reg = (int(b) << _TAIL) | state
        out[2 * i : 2 * i + 2] = _OUT[reg]
        state = reg >> 1
    return out


LIST_SIZE = 32  # list-Viterbi candidates tried against the CRC (costs log2(32) = 5 CRC bits)


def decode(soft: np.ndarray, list_size: int = LIST_SIZE) -> tuple[int, bool, np.ndarray]:
    """List-Viterbi decode of 204 soft values (``> 0`` means 1).

    Keeps the ``list_size`` best paths into every state (parallel list Viterbi) and returns the
    most likely path whose CRC checks; if none does, the most likely path with ``crc_ok`` False.
    With ``list_size=1`` this is the plain soft Viterbi decoder. A random input passes with
    probability <= ``list_size * 2**-32``.

    Returns (payload, crc_ok, re-encoded coded bits) so callers can measure agreement.
    """
    y = np.asarray(soft, dtype=np.float64).reshape(-1, 2)
    if y.shape[0] != INFO_BITS + _TAIL:
        raise ValueError(f"expected {CODED_BITS} soft values, got {y.size}")
    n_list = max(1, int(list_size))
    steps = y.shape[0]
    metric = np.full((_STATES, n_list), -np.inf)
    metric[0, 0] = 0.0
    choices = np.empty((steps, _STATES, n_list), dtype=np.int32)
    tail_block = _INPUT_OF_NS == 1
    for t in range(steps):
        branch = _PRED_SYM @ y[t]  # (64, 2)
        cand = metric[_PRED_STATE] + branch[:, :, None]  # (64, 2, L)
        if t >= steps - _TAIL:  # tail bits are zero: only states whose MSB input is 0
            cand[tail_block] = -np.inf
        flat = cand.reshape(_STATES, 2 * n_list)
        if n_list == 1:
            pick = np.argmax(flat, axis=1)[:, None]
        else:
            pick = np.argsort(-flat, axis=1, kind="stable")[:, :n_list]
        choices[t] = pick
        metric = np.take_along_axis(flat, pick, axis=1)
    first: np.ndarray | None = None
    for rank in range(n_list):
        if not np.isfinite(metric[0, rank]):
            break
        state, k = 0, rank
        bits = np.empty(steps, dtype=np.uint8)
        for t in range(steps - 1, -1, -1):
            bits[t] = _INPUT_OF_NS[state]
            p, k = divmod(int(choices[t, state, k]), n_list)
            state = _PRED_STATE[state, p]
        info = bits[:INFO_BITS]
        if first is None:
            first = bits
        if np.array_equal(crc32(info[:PAYLOAD_BITS]), info[PAYLOAD_BITS:]):
            payload = bits_to_int(info[:PAYLOAD_BITS])
            return payload, True, encode(payload)
    assert first is not None
    return bits_to_int(first[:PAYLOAD_BITS]), False, _reencode(first)


def _reencode(bits: np.ndarray) -> np.ndarray:
    state = 0
    out = np.empty(2 * len(bits), dtype=np.uint8)
    for i, b in enumerate(bits):
        reg = (int(b) << _TAIL) | state
        out[2 * i : 2 * i + 2] = _OUT[reg]
        state = reg >> 1
    return out
