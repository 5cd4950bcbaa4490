"""Evaluate the learned mouth model against the signal predictor on held-out speech.

    python -m animation.evaluate_mouth [--weights animation/weights/mouth_v1.pt] [--json out.json]

Held-out utterances use voices and languages never seen in training (`CorpusConfig
.heldout_*`); they are the corpus's own held-out split, rebuilt from the settings stored in
the checkpoint's JSON. Both predictors run the pipeline's path (16 kHz waveform ->
`compute_features` at 25 fps -> `predict`) and are compared with the phoneme-derived targets:

- Pearson correlation per mouth parameter (all frames pooled);
- viseme frame accuracy (nearest viseme prototype of prediction vs of target);
- audio-visual offset: the lag (frames) maximising the cross-correlation of predicted and
  target jaw opening, positive when the prediction comes late;
- speed: clip seconds per second of `predict` on CPU, on one minute of held-out speech.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .motion import MOUTH_PARAMETERS

FPS = 25.0
MAX_LAG = 6  # frames searched either side for the AV offset


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def av_offset(predictions: list[np.ndarray], targets: list[np.ndarray]) -> int:
    """Lag (frames) of the pooled jaw cross-correlation peak; > 0: prediction is late."""
    scores = np.zeros(2 * MAX_LAG + 1)
    for pred, target in zip(predictions, targets, strict=True):
        p = (pred - pred.mean()) / (pred.std() + 1e-6)
        t = (target - target.mean()) / (target.std() + 1e-6)
        for i, lag in enumerate(range(-MAX_LAG, MAX_LAG + 1)):
            if lag >= 0:
                scores[i] += float((p[lag:] * t[: len(t) - lag]).sum())
            else:
                scores[i] += float((p[:lag] * t[-lag:]).sum())
    return int(np.argmax(scores)) - MAX_LAG


def heldout_examples(directory: str | Path) -> list[dict]:
    """[{features, targets (T, 4), meta}] for the held-out split, at the pipeline's 25 fps."""
    from .audio import LogMelSpectrogram, compute_features
    from .speech_corpus import load_split
    from .visemes import mouth_targets, phoneme_segments

    mel = LogMelSpectrogram()
    examples = []
    for utterance in load_split(directory, "heldout"):
        with torch.inference_mode():
            features = compute_features(utterance.waveform.astype(np.float32), FPS, mel=mel)
        duration = len(utterance.waveform) / features.sample_rate
        segments = phoneme_segments([tuple(e) for e in utterance.meta["events"]], duration)
        times = (np.arange(features.n_frames) + 0.5) / FPS
        examples.append({"features": features, "targets": mouth_targets(segments, times),
                         "meta": utterance.meta})  # fmt: skip
    return examples


def score(predictor, examples: list[dict]) -> dict:
    """Figures of one predictor over the examples."""
    from .visemes import nearest_viseme

    preds = [predictor.predict(e["features"]).float().cpu().numpy() for e in examples]
    targets = [e["targets"] for e in examples]
    pooled_pred, pooled_target = np.concatenate(preds), np.concatenate(targets)
    figures = {
        f"pearson_{name}": round(_pearson(pooled_pred[:, k], pooled_target[:, k]), 4)
        for k, name in enumerate(MOUTH_PARAMETERS)
    }
    figures["viseme_accuracy"] = round(
        float((nearest_viseme(pooled_pred) == nearest_viseme(pooled_target)).mean()), 4
    )
    figures["av_offset_frames"] = av_offset([p[:, 0] for p in preds], [t[:, 0] for t in targets])
    figures["speed_x_realtime"] = round(_speed(predictor, examples), 1)
    return figures


def _speed(predictor, examples: list[dict], seconds: float = 60.0) -> float:
    """Clip seconds per wall second of predict() on CPU for ~1 minute of speech."""
    from .audio import compute_features

    waves, total = [], 0.0
    while total < seconds:
        for e in examples:
            waves.append(e["features"].waveform.cpu().numpy())
            total += len(waves[-1]) / e["features"].sample_rate
            if total >= seconds:
                break
    with torch.inference_mode():
        features = compute_features(np.concatenate(waves), FPS)
    predictor.predict(features)  # warm-up (loads weights)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        predictor.predict(features)
        best = min(best, time.perf_counter() - start)
    return total / best


def evaluate(predictors: dict, directory: str | Path) -> dict:
    """{predictor name: figures} on the held-out split of the corpus in `directory`."""
    examples = heldout_examples(directory)
    results = {name: score(p, examples) for name, p in predictors.items()}
    metas = [e["meta"] for e in examples]
    results["heldout"] = {
        "utterances": len(examples),
        "frames": int(sum(e["features"].n_frames for e in examples)),
        "voices": sorted({m["voice"] for m in metas}),
        "languages": sorted({m["language"] for m in metas}),
    }
    return results


def evaluate_checkpoint(weights: str | Path, directory: str | Path) -> dict:
    from .motion import SignalMouthPredictor
    from .mouth_model import LearnedMouthPredictor

    predictors = {"learned": LearnedMouthPredictor(weights), "signal": SignalMouthPredictor()}
    return evaluate(predictors, directory)


def format_table(results: dict) -> str:
    rows = [f"{'figure (held-out voices x languages)':<40}{'learned':>10}{'signal':>10}  target"]
    goals = {"pearson_jaw_open": ">= 0.85", "av_offset_frames": "|x| <= 1",
             "speed_x_realtime": ">= 200"}  # fmt: skip
    for key in results["learned"]:
        rows.append(f"{key:<40}{results['learned'][key]:>10}{results['signal'][key]:>10}  "
                    f"{goals.get(key, 'higher')}")  # fmt: skip
    info = results["heldout"]
    rows.append(f"{info['utterances']} utterances, {info['frames']} frames at {FPS:g} fps; "
                f"voices {', '.join(info['voices'])}")  # fmt: skip
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    from .mouth_model import DEFAULT_WEIGHTS
    from .speech_corpus import DEFAULT_ROOT, build_corpus, config_from_dict

    parser = argparse.ArgumentParser(
        prog="python -m animation.evaluate_mouth",
        description="Learned vs signal mouth predictor on held-out voices and languages.",
    )
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="checkpoint")
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="corpus cache folder")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1: busy 2-core box)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    info = json.loads(Path(args.weights).with_suffix(".json").read_text())
    config = config_from_dict(info["corpus"]["config"])
    directory = build_corpus(config, args.root, progress=True)
    results = evaluate_checkpoint(args.weights, directory)
    print(json.dumps(results, indent=2))
    print(format_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
