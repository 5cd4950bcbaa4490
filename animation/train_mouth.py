"""Train the learned mouth model on the generated speech corpus.

    scripts/train-mouth          # installs the corpus's voices and tools, then runs this
    python -m animation.train_mouth [--seed 0] [--steps 3000] [--out animation/weights/mouth_v2.pt]

Builds (or reuses) the corpus of `speech_corpus.CorpusConfig(seed=...)` (espeak-ng, Festival
and Kokoro voices for training; held-out espeak-ng languages, Festival, piper and Kokoro
speakers and real recordings for evaluation) and trains `MODEL`: three `MouthNet`s (per-band
reference) from seeds seed, seed + 1 and seed + 2 whose outputs are averaged. Each is trained
on random crops in a deterministic order (numpy generator + torch.manual_seed from its seed,
deterministic torch algorithms): Festival and Kokoro utterances drawn more often than
espeak-ng's, each crop's spectrum stretched in frequency (vocal-tract length), the weights'
moving average kept. Then the lip_closure calibration is fitted on the training set. On CUDA
when present; writes the checkpoint with a JSON beside it holding the model config, the
training config, the corpus settings, the loss curve and the held-out figures of
`evaluate_mouth`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from .motion import LIP_CLOSURE
from .mouth_model import (
    SILENCE_LOG_MEL,
    WEIGHTS_DIR,
    MouthEnsemble,
    MouthModelConfig,
    MouthNet,
    clip_level,
    parameter_count,
    save_checkpoint,
)
from .speech_corpus import DEFAULT_ROOT, CorpusConfig, Utterance, build_corpus, load_split
from .visemes import viseme_settings

# The model trained by default: references per band (MouthModelConfig's own default stays the
# single level, which checkpoints saved before band_norm existed were trained with).
MODEL = MouthModelConfig(band_norm=True, members=3)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0  # torch.manual_seed and the crop order
    steps: int = 3000  # optimiser steps (per member)
    batch_size: int = 32  # crops per step
    crop_frames: int = 100  # 50 Hz outputs per crop (2 s)
    learning_rate: float = 2e-3  # AdamW peak rate
    weight_decay: float = 0.01  # AdamW decoupled weight decay
    warmup_steps: int = 100  # linear warm-up before the cosine decay
    grad_clip: float = 1.0  # max gradient norm
    parameter_weights: tuple[float, float, float, float] = (2.0, 1.0, 1.0, 1.5)  # loss per param
    velocity_weight: float = 2.0  # weight of the frame-to-frame difference loss (timing)
    threads: int = 1  # CPU threads (ignored on CUDA); 1 is faster on a busy 2-core machine
    # Each utterance of these families is drawn this many times as often as the others (the
    # voices that are not espeak-ng are few and slow to make, yet they are what people upload).
    family_weights: tuple[tuple[str, float], ...] = (("festival", 2.0), ("kokoro", 3.0))
    # Vocal-tract-length perturbation on the mel axis: each crop's spectrum is stretched in
    # frequency by a factor drawn from this range (formants of shorter and longer tracts).
    warp: tuple[float, float] = (0.9, 1.1)
    # Exponential moving average of the weights (decay per step; 0: the last step's weights).
    # The average of the late weights generalises better than any one of them.
    ema_decay: float = 0.999


def band_warp(factor: float, n_mels: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """(lower band index, fraction) per band reading the spectrum at frequency / `factor`."""
    from .audio import MelConfig, mel_band_centers

    centers = mel_band_centers(MelConfig(n_mels=n_mels))  # (M,) Hz
    source = np.interp(centers / factor, centers, np.arange(n_mels))  # (M,) fractional band
    lower = np.minimum(np.floor(source).astype(np.int64), n_mels - 2)
    return lower, (source - lower).astype(np.float32)


def warp_bands(values: np.ndarray, lower: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """(..., M) log-mel resampled on the mel axis (linear interpolation between bands)."""
    return values[..., lower] * (1 - fraction) + values[..., lower + 1] * fraction


def clip_levels(utterances: list[Utterance], model: MouthModelConfig) -> list[np.ndarray]:
    """Each utterance's `clip_level` reference (the same for every member of an ensemble)."""
    return [clip_level(torch.from_numpy(u.log_mel.astype(np.float32))[None], model)[0].numpy()
            for u in utterances]  # fmt: skip


class CropSampler:
    """Deterministic random crops (mel with future context, targets, mask) from utterances."""

    def __init__(
        self, utterances: list[Utterance], model: MouthModelConfig,
        config: TrainConfig | None = None, levels: list[np.ndarray] | None = None,
    ) -> None:  # fmt: skip
        config = config or TrainConfig()
        self.utterances = utterances
        self.lookahead = model.lookahead_frames
        self.rng = np.random.default_rng(config.seed)
        self.levels = levels if levels is not None else clip_levels(utterances, model)
        weights = dict(config.family_weights)
        draw = np.array([weights.get(u.meta.get("family", "espeak"), 1.0) for u in utterances])
        self.probabilities = draw / draw.sum() if weights else None
        self.warp = config.warp
        self._order: list[int] = []

    def _next_index(self) -> int:
        if self.probabilities is not None:
            return int(self.rng.choice(len(self.utterances), p=self.probabilities))
        if not self._order:
            self._order = list(self.rng.permutation(len(self.utterances)))
        return int(self._order.pop())

    def batch(self, batch_size: int, n: int) -> tuple[torch.Tensor, ...]:
        """mel (B, 2(n+L), M), level (B,) or (B, M), targets (B, n, 4), mask (B, n)."""
        n_mel = 2 * (n + self.lookahead)
        mels, levels, targets, masks = [], [], [], []
        for _ in range(batch_size):
            i = self._next_index()
            u = self.utterances[i]
            n_targets = len(u.targets)
            start = int(self.rng.integers(0, max(1, n_targets - n // 2)))
            mel = np.full((n_mel, u.log_mel.shape[1]), SILENCE_LOG_MEL, np.float32)
            piece = u.log_mel[2 * start : 2 * start + n_mel]
            mel[: len(piece)] = piece
            target = np.zeros((n, 4), np.float32)
            mask = np.zeros(n, np.float32)
            piece = u.targets[start : start + n]
            target[: len(piece)] = piece
            mask[: len(piece)] = 1.0
            level = self.levels[i]
            if self.warp != (1.0, 1.0):
                lower, fraction = band_warp(float(self.rng.uniform(*self.warp)), mel.shape[1])
                mel = warp_bands(mel, lower, fraction)
                level = warp_bands(level, lower, fraction) if level.ndim else level
            mels.append(mel)
            levels.append(level)
            targets.append(target)
            masks.append(mask)
        return (torch.from_numpy(np.stack(mels)), torch.from_numpy(np.stack(levels)).float(),
                torch.from_numpy(np.stack(targets)), torch.from_numpy(np.stack(masks)))  # fmt: skip


def mouth_loss(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, config: TrainConfig
) -> torch.Tensor:
    """Weighted MSE of the parameters and of their frame-to-frame change. (B, n, 4) each."""
    weights = torch.tensor(config.parameter_weights, device=pred.device)
    error = ((pred - target).square() * weights).sum(-1)  # (B, n)
    value = (error * mask).sum() / mask.sum().clamp_min(1.0)
    d_pred, d_target = pred.diff(dim=1), target.diff(dim=1)  # (B, n-1, 4)
    d_mask = mask[:, 1:] * mask[:, :-1]
    d_error = ((d_pred - d_target).square() * weights).sum(-1)  # (B, n-1)
    velocity = (d_error * d_mask).sum() / d_mask.sum().clamp_min(1.0)
    return value + config.velocity_weight * velocity


def fit_closure_quantiles(
    model: MouthNet | MouthEnsemble, utterances: list[Utterance], n_quantiles: int = 101
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(predicted, target) lip_closure quantiles of the model over the utterances (50 Hz
    frames, whole clips as the predictor sees them) for `MouthModelConfig.closure_quantiles`."""
    predicted, target = [], []
    model = model.eval()
    with torch.inference_mode():
        for u in utterances:
            mel = torch.from_numpy(u.log_mel.astype(np.float32))[None]
            out = model(mel, clip_level(mel, model.config))[0, :, LIP_CLOSURE].numpy()
            n = min(len(out), len(u.targets))
            predicted.append(out[:n])
            target.append(u.targets[:n, LIP_CLOSURE].astype(np.float32))
    levels = np.linspace(0.0, 1.0, n_quantiles)
    pairs = (np.quantile(np.concatenate(predicted), levels),
             np.quantile(np.concatenate(target), levels))  # fmt: skip
    return tuple(tuple(round(float(v), 5) for v in q) for q in pairs)


def train(
    utterances: list[Utterance],
    model_config: MouthModelConfig,
    config: TrainConfig,
    *,
    device: str | torch.device | None = None,
    log_every: int = 100,
    log=print,
    levels: list[np.ndarray] | None = None,
) -> tuple[MouthNet | MouthEnsemble, list[tuple[int, float]]]:
    """Train a fresh MouthNet; returns it (eval mode, on CPU) and the (step, loss) curve.

    With `model_config.members` > 1, that many networks, from seeds `config.seed`,
    `config.seed + 1`, ..., make a MouthEnsemble; the curve is their mean loss. `levels`:
    the utterances' `clip_levels`, when already computed.
    """
    if model_config.members > 1:
        single = replace(model_config, members=1)
        levels = levels if levels is not None else clip_levels(utterances, single)
        runs = []
        for k in range(model_config.members):
            log(f"member {k + 1}/{model_config.members}")
            runs.append(train(utterances, single, replace(config, seed=config.seed + k),
                              device=device, log_every=log_every, log=log,
                              levels=levels))  # fmt: skip
        steps = [step for step, _ in runs[0][1]]
        losses = np.array([[loss for _, loss in curve] for _, curve in runs]).mean(0)
        curve = [(step, round(float(loss), 5)) for step, loss in zip(steps, losses, strict=True)]
        return MouthEnsemble(model_config, [net for net, _ in runs]).eval(), curve
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if dev.type == "cpu":
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    deterministic = torch.are_deterministic_algorithms_enabled()
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        return _train(utterances, model_config, config, dev, log_every, log, levels)
    finally:
        torch.use_deterministic_algorithms(deterministic)


def _train(utterances, model_config, config, dev, log_every, log, levels):
    model = MouthNet(model_config).to(dev).train()
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )

    def rate(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    sampler = CropSampler(utterances, model_config, config, levels)
    curve: list[tuple[int, float]] = []
    running, count = 0.0, 0
    average = [p.detach().clone() for p in model.parameters()] if config.ema_decay else None
    start = time.perf_counter()
    for step in range(config.steps):
        batch = sampler.batch(config.batch_size, config.crop_frames)
        mel, level, target, mask = (t.to(dev) for t in batch)
        pred = model(mel, level, pad_future=False)  # (B, n, 4)
        loss = mouth_loss(pred, target, mask, config)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimiser.step()
        scheduler.step()
        if average is not None:
            with torch.no_grad():
                for value, param in zip(average, model.parameters(), strict=True):
                    value.lerp_(param, 1.0 - config.ema_decay)
        running += float(loss.detach())
        count += 1
        if (step + 1) % log_every == 0 or step + 1 == config.steps:
            curve.append((step + 1, round(running / count, 5)))
            log(f"step {step + 1}/{config.steps} loss {running / count:.4f} "
                f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
            running, count = 0.0, 0
    if average is not None:
        with torch.no_grad():
            for param, value in zip(model.parameters(), average, strict=True):
                param.copy_(value)
    return model.cpu().eval(), curve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m animation.train_mouth", description="Train the learned mouth model."
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the corpus and training")
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--threads", type=int, default=TrainConfig.threads)
    parser.add_argument("--device", default=None, help="torch device (default: cuda if present)")
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="corpus cache folder")
    parser.add_argument("--out", default=str(WEIGHTS_DIR / "mouth_v2.pt"),
                        help="checkpoint to write")  # fmt: skip
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation")
    parser.add_argument("--version", default="mouth_v2", help="version name in the checkpoint")
    parser.add_argument("--n-train", type=int, default=CorpusConfig.n_train,
                        help="espeak-ng training utterances in the corpus")  # fmt: skip
    parser.add_argument("--n-kokoro-train", type=int, default=CorpusConfig.n_kokoro_train,
                        help="Kokoro training utterances in the corpus")  # fmt: skip
    parser.add_argument("--band-norm", action=argparse.BooleanOptionalAction,
                        default=MODEL.band_norm, help="per-band reference")  # fmt: skip
    parser.add_argument("--dropout", type=float, default=MODEL.dropout)
    parser.add_argument("--calibrate", action=argparse.BooleanOptionalAction, default=True,
                        help="fit the lip_closure calibration after training")  # fmt: skip
    parser.add_argument("--ema-decay", type=float, default=TrainConfig.ema_decay,
                        help="average the weights (decay per step)")  # fmt: skip
    parser.add_argument("--members", type=int, default=MODEL.members,
                        help="networks from successive seeds, outputs averaged")  # fmt: skip
    parser.add_argument("--lookahead", type=int, default=MODEL.lookahead_frames,
                        help="50 Hz outputs of future audio each output sees")  # fmt: skip
    parser.add_argument("--learning-rate", type=float, default=TrainConfig.learning_rate)
    parser.add_argument("--warp", type=float, nargs=2, default=TrainConfig.warp,
                        metavar=("LOW", "HIGH"), help="mel warp range (VTLP)")  # fmt: skip
    parser.add_argument("--family-weight", action="append", default=None, metavar="FAMILY=W",
                        help="draw FAMILY W times as often")  # fmt: skip
    args = parser.parse_args(argv)

    corpus_config = CorpusConfig(seed=args.seed, n_train=args.n_train,
                                 n_kokoro_train=args.n_kokoro_train)  # fmt: skip
    model_config = replace(MODEL, band_norm=args.band_norm, dropout=args.dropout,
                           lookahead_frames=args.lookahead, members=args.members)  # fmt: skip
    family_weights = TrainConfig.family_weights
    if args.family_weight is not None:
        family_weights = tuple((f, float(w)) for f, w in
                               (item.split("=", 1) for item in args.family_weight))  # fmt: skip
    train_config = TrainConfig(seed=args.seed, steps=args.steps, threads=args.threads,
                               learning_rate=args.learning_rate, warp=tuple(args.warp),
                               family_weights=family_weights,
                               ema_decay=args.ema_decay)  # fmt: skip
    clock = time.perf_counter()
    directory = build_corpus(corpus_config, args.root, progress=True)
    corpus_seconds = time.perf_counter() - clock
    utterances = load_split(directory, "train")
    print(f"corpus {directory}: {len(utterances)} utterances ({corpus_seconds:.0f} s)",
          file=sys.stderr)  # fmt: skip
    clock = time.perf_counter()
    model, curve = train(utterances, model_config, train_config, device=args.device,
                         log=lambda line: print(line, file=sys.stderr, flush=True))  # fmt: skip
    if args.calibrate:
        quantiles = fit_closure_quantiles(model, utterances)
        model.config = replace(model.config, closure_quantiles=quantiles)
    train_seconds = time.perf_counter() - clock
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    metadata = {
        "training": asdict(train_config),
        "corpus": json.loads((directory / "settings.json").read_text()),
        "visemes": viseme_settings(),
        "parameters": parameter_count(model),
        "loss_curve": curve,
        "train_seconds": round(train_seconds, 1),
        "train_device": device,
        "torch": torch.__version__,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(model, out, metadata, version=args.version)
    if not args.no_eval:
        from .evaluate_mouth import evaluate_checkpoint

        figures = evaluate_checkpoint(out, directory)
        metadata["heldout_figures"] = figures
        save_checkpoint(model, out, metadata, version=args.version)
    print(json.dumps({"checkpoint": str(out), "bytes": out.stat().st_size,
                      "train_seconds": round(train_seconds, 1),
                      "final_loss": curve[-1][1] if curve else None}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
