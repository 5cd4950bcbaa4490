"""The learned audio-to-mouth model and the predictor that runs it in the pipeline.

`MouthNet` (a pure nn.Module) reads 100 Hz log-mel and predicts the four mouth parameters at
50 Hz: a strided convolution, then residual blocks of causal dilated convolutions. The input is
shifted so each output sees `lookahead_frames` of future audio (the mouth anticipates the
sound it is about to make) and the rest of its receptive field in the past. The log-mel is
read relative to a reference of the whole clip: one loudness level (mouth_v1), or with
`band_norm` each band's mean over the louder half of the frames, so that a voice's or a
microphone's lasting colouring does not reach the network. The shipped model (mouth_v2) is
a `MouthEnsemble` of three such networks, and its lip_closure output is calibrated
(`calibrate`) so that lips shut where the training targets do.

`LearnedMouthPredictor` is the wrapper the architecture asks for: it loads the shipped weights
(`weights/mouth_v2.pt`, with `map_location`) once, onto its device (`to(device)`, then `load()`
or first use), frozen (no autograd graph whatever the caller's grad mode), resamples the 50 Hz
output onto the video frames and keeps the mouth at rest where the audio is silent. Nothing is
loaded at import time.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .motion import LIP_CLOSURE

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "mouth_v2.pt"  # espeak-ng, Festival and Kokoro voices
BASELINE_WEIGHTS = WEIGHTS_DIR / "mouth_v1.pt"  # espeak-ng only: what held-out figures beat
# Per-parameter output range the rig expects (jaw_open, lip_width, lip_round, lip_closure).
PARAMETER_LOW = (0.0, -1.0, 0.0, 0.0)
PARAMETER_HIGH = (1.0, 1.0, 1.0, 1.0)
SILENCE_LOG_MEL = float(np.log(1e-6))  # audio.MelConfig.log_floor: digital silence


@dataclass(frozen=True)
class MouthModelConfig:
    n_mels: int = 80  # log-mel bands in (audio.MelConfig.n_mels)
    channels: int = 96  # width of every convolution
    kernel_size: int = 3  # taps of each dilated convolution
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1)  # one residual block per entry
    lookahead_frames: int = 8  # 50 Hz outputs of future audio each output sees (160 ms)
    dropout: float = 0.0  # inside residual blocks, training only (the corpus is augmented)
    n_outputs: int = 4  # mouth parameters (motion.MOUTH_PARAMETERS)
    level_quantile: float = 0.95  # per-clip loudness reference (quantile of frame energy)
    min_level: float = -9.0  # lowest reference (mean log-mel, nats): silence stays silent
    input_scale: float = 4.0  # log-mel nats per unit after removing the reference
    # Reference per band instead of one level: each band's mean over the clip's louder half of
    # frames, so a voice's or a microphone's lasting colouring (spectral tilt, formant
    # region) is removed and only its changes over time reach the network.
    band_norm: bool = False
    # Output calibration of lip_closure: (predicted, target) quantiles over the training set,
    # fitted after training (`train_mouth.fit_closure_quantiles`); the predictor maps each
    # output through them. A squared error pulls the closure of an uncertain frame towards the
    # mean, so lips hover half shut on a bilabial; matching the targets' distribution restores
    # the decision. Empty: outputs as they are (mouth_v1).
    closure_quantiles: tuple[tuple[float, ...], ...] = ()
    # Networks of this architecture trained from successive seeds whose outputs are averaged
    # (`MouthEnsemble`): each one's errors on voices it never heard partly cancel.
    members: int = 1

    @property
    def receptive_field(self) -> int:
        """50 Hz frames each output depends on."""
        return 1 + sum((self.kernel_size - 1) * d for d in self.dilations) + 1


def clip_level(log_mel: torch.Tensor, config: MouthModelConfig) -> torch.Tensor:
    """Reference of each clip: (B,) a high quantile of its frame mean log-mel, or with
    `config.band_norm` (B, n_mels) each band's mean over the clip's louder half of frames."""
    frame_energy = log_mel.float().mean(-1)  # (B, T)
    if config.band_norm:
        median = torch.quantile(frame_energy, 0.5, dim=-1, keepdim=True)  # (B, 1)
        loud = (frame_energy >= median).float()[..., None]  # (B, T, 1)
        bands = (log_mel.float() * loud).sum(1) / loud.sum(1).clamp_min(1.0)  # (B, n_mels)
        return bands.clamp_min(config.min_level).to(log_mel.dtype)
    level = torch.quantile(frame_energy, config.level_quantile, dim=-1)  # (B,)
    return level.clamp_min(config.min_level).to(log_mel.dtype)


class _CausalBlock(nn.Module):
    def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.norm = nn.LayerNorm(channels)
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, T)
        # Channel layer-norm frame by frame (keeps outputs independent of the clip length).
        h = self.norm(x.transpose(1, 2)).transpose(1, 2)  # (B, C, T)
        h = self.conv(F.pad(h, (self.pad, 0)))  # (B, C, T) causal
        h = self.mix(self.dropout(F.gelu(h)))
        return x + h  # (B, C, T)


class MouthNet(nn.Module):
    """Log-mel (B, T, n_mels) at 100 Hz + `clip_level` -> mouth parameters (B, T // 2, 4)."""

    def __init__(self, config: MouthModelConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or MouthModelConfig()
        self.frontend = nn.Conv1d(c.n_mels, c.channels, kernel_size=2, stride=2)
        self.blocks = nn.ModuleList(
            _CausalBlock(c.channels, c.kernel_size, d, c.dropout) for d in c.dilations
        )
        self.head = nn.Conv1d(c.channels, c.n_outputs, 1)

    def forward(
        self, log_mel: torch.Tensor, level: torch.Tensor, *, pad_future: bool = True
    ) -> torch.Tensor:
        """(B, T, n_mels), (B,) or (B, n_mels) -> (B, T // 2, 4); without `pad_future`,
        (B, T // 2 - L, 4).

        Output j is the mouth at (2j + 0.5) x 10 ms and sees audio up to L = lookahead_frames
        outputs later. With `pad_future` the clip's end is padded with silence (inference);
        without it the caller supplies the future audio (training crops).
        """
        c = self.config
        n_frames = 2 * (log_mel.shape[1] // 2)
        reference = level[:, None, :] if level.dim() == 2 else level[:, None, None]
        x = (log_mel[:, :n_frames] - reference) / c.input_scale  # (B, T, n_mels)
        x = x.transpose(1, 2)  # (B, n_mels, T)
        if pad_future and c.lookahead_frames:
            silence = (SILENCE_LOG_MEL - reference) / c.input_scale  # (B, 1, 1 or n_mels)
            silence = silence.transpose(1, 2).expand(-1, x.shape[1], 2 * c.lookahead_frames)
            x = torch.cat([x, silence], dim=2)
        x = self.frontend(x)  # (B, C, T // 2 [+ L])
        for block in self.blocks:
            x = block(x)
        y = self.head(x)  # (B, 4, T // 2 [+ L])
        return y[:, :, c.lookahead_frames :].transpose(1, 2)  # (B, T // 2 [- L], 4)


class MouthEnsemble(nn.Module):
    """`config.members` MouthNets, outputs averaged; the same call as a MouthNet."""

    def __init__(self, config: MouthModelConfig, members: list[MouthNet] | None = None) -> None:
        super().__init__()
        self.config = config
        single = replace(config, members=1, closure_quantiles=())
        self.members = nn.ModuleList(members or [MouthNet(single) for _ in range(config.members)])

    def forward(
        self, log_mel: torch.Tensor, level: torch.Tensor, *, pad_future: bool = True
    ) -> torch.Tensor:
        outputs = [member(log_mel, level, pad_future=pad_future) for member in self.members]
        return torch.stack(outputs).mean(0)  # (B, T', 4)


def build_model(config: MouthModelConfig) -> MouthNet | MouthEnsemble:
    return MouthEnsemble(config) if config.members > 1 else MouthNet(config)


def calibrate(out: np.ndarray, config: MouthModelConfig) -> np.ndarray:
    """(T, 4) network outputs with lip_closure mapped through `config.closure_quantiles`."""
    if not config.closure_quantiles:
        return out
    predicted, target = (np.asarray(q, np.float64) for q in config.closure_quantiles)
    out = out.copy()
    out[:, LIP_CLOSURE] = np.interp(out[:, LIP_CLOSURE], predicted, target)
    return out


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def save_checkpoint(
    model: MouthNet | MouthEnsemble,
    path: str | os.PathLike,
    metadata: dict,
    version: str = "mouth_v1",
) -> None:
    """Weights (fp32 state dict + model config) to `path`, everything else beside it as JSON."""
    path = Path(path)
    state = {k: v.detach().cpu().float().clone() for k, v in model.state_dict().items()}
    config = asdict(model.config)
    torch.save({"version": version, "model_config": config, "state_dict": state}, path)
    info = {"version": version, "model_config": config, **metadata}
    path.with_suffix(".json").write_text(json.dumps(info, indent=2, default=_jsonable))


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value)}")


def load_checkpoint(
    path: str | os.PathLike = DEFAULT_WEIGHTS, map_location: str | torch.device = "cpu"
) -> tuple[MouthNet | MouthEnsemble, str]:
    """(model in eval mode on `map_location`, version) from a checkpoint file."""
    blob = torch.load(Path(path), map_location=map_location, weights_only=True)
    fields = {k: _tuples(v) for k, v in blob["model_config"].items()}
    model = build_model(MouthModelConfig(**fields))
    model.load_state_dict(blob["state_dict"])
    return model.to(map_location).eval(), str(blob["version"])


class LearnedMouthPredictor:
    """AudioToMotion over `MouthNet`: features -> (T, 4) mouth parameters per video frame."""

    name = "learned"

    def __init__(
        self, weights: str | os.PathLike | None = None, *, device: str | torch.device = "cpu",
        silence_db: float = -60.0, rest_after_s: float = 0.25,
    ) -> None:  # fmt: skip
        self.weights = Path(weights) if weights is not None else DEFAULT_WEIGHTS
        self.device = torch.device(device)
        self.silence_db = silence_db  # frames quieter than this (dB FS) count as silent ...
        self.rest_after_s = rest_after_s  # ... and further than this from sound rest the mouth
        self._net: MouthNet | MouthEnsemble | None = None
        self._version: str | None = None

    @property
    def version(self) -> str:
        self.load()
        return self._version

    def to(self, device: str | torch.device) -> LearnedMouthPredictor:
        self.device = torch.device(device)
        if self._net is not None:
            self._net = self._net.to(self.device)
        return self

    def load(self) -> None:
        if self._net is None:
            if not self.weights.is_file():
                raise FileNotFoundError(f"The mouth model weights {self.weights} are missing.")
            net, version = load_checkpoint(self.weights, map_location=self.device)
            self._net, self._version = net.requires_grad_(False), version

    def predict(self, features) -> torch.Tensor:
        """(T, 4) mouth parameters on CPU for the T = features.n_frames video frames."""
        self.load()
        x = features.log_mel.to(self.device, torch.float32)[None]  # (1, T_mel, n_mels)
        if x.shape[1] < 2:
            return torch.zeros(features.n_frames, 4)
        level = clip_level(x, self._net.config)  # (1,) or (1, n_mels)
        out = self._net(x, level)[0].float().cpu().numpy()  # (T_mel // 2, 4)
        out = calibrate(out, self._net.config)
        times = (2 * np.arange(len(out)) + 0.5) * features.mel_config.hop_length
        times = times / features.mel_config.sample_rate  # (T_out,) s
        frame_times = (np.arange(features.n_frames) + 0.5) / features.fps  # (T,) s
        params = np.stack([np.interp(frame_times, times, out[:, k]) for k in range(4)], 1)
        params = np.clip(params, PARAMETER_LOW, PARAMETER_HIGH)
        params *= self._sound_gate(features)[:, None]
        return torch.from_numpy(params.astype(np.float32))  # (T, 4)

    def _sound_gate(self, features) -> np.ndarray:
        """(T,) 1 near audible sound, easing to 0 in long silences (and 0 for silent clips)."""
        loud = features.frame_rms_db.detach().float().cpu().numpy() > self.silence_db  # (T,)
        if not loud.any():
            return np.zeros(features.n_frames)
        reach = max(1, int(round(self.rest_after_s * features.fps)))
        index = np.flatnonzero(loud)
        # Distance (frames) from each frame to the nearest audible one.
        positions = np.arange(features.n_frames)
        nearest = np.searchsorted(index, positions).clip(1, len(index) - 1)
        distance = np.minimum(
            np.abs(positions - index[nearest - 1]), np.abs(index[nearest] - positions)
        )
        if len(index) == 1:
            distance = np.abs(positions - index[0])
        return np.clip(1.0 - (distance - reach / 2) / (reach / 2), 0.0, 1.0)
