"""The learned audio-to-mouth model: corpus alignment, visemes, model, training, checkpoint."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from animation.motion import (
    JAW_OPEN,
    LIP_CLOSURE,
    LIP_ROUND,
    AudioToMotion,
    ModelPredictor,
    SignalMouthPredictor,
    resolve_predictor,
    runs_a_model,
)
from animation.mouth_model import (
    DEFAULT_WEIGHTS,
    LearnedMouthPredictor,
    MouthModelConfig,
    MouthNet,
    clip_level,
    load_checkpoint,
    parameter_count,
    save_checkpoint,
)
from animation.train_mouth import TrainConfig, train
from animation.visemes import (
    BILABIAL,
    REST,
    VISEME_NAMES,
    mouth_targets,
    phoneme_segments,
    viseme_of,
)

TINY_MODEL = MouthModelConfig(channels=32, dilations=(1, 2, 4), lookahead_frames=4)
# Corpus settings without the voices of the [train] extra and Festival (test_anim_voice_corpus).
ESPEAK_ONLY = {"n_festival_train": 0, "n_heldout_festival": 0, "n_heldout_piper": 0,
               "n_kokoro_train": 0, "n_heldout_kokoro": 0, "real_recordings": False}  # fmt: skip


def _tiny_corpus_config(seed: int = 0):
    from animation.speech_corpus import CorpusConfig

    return CorpusConfig(seed=seed, n_train=6, n_heldout=1, words=(3, 5), max_seconds=3.0,
                        **ESPEAK_ONLY)  # fmt: skip


@pytest.fixture(scope="module")
def synthesizer():
    from animation.speech_corpus import EspeakSynthesizer, EspeakUnavailableError

    try:
        return EspeakSynthesizer.shared()
    except EspeakUnavailableError:
        pytest.skip("libespeak-ng is not installed (apt-get install espeak-ng)")


@pytest.fixture(scope="module")
def tiny_corpus(synthesizer, tmp_path_factory):
    from animation.speech_corpus import build_corpus, load_split

    root = tmp_path_factory.mktemp("corpus")
    directory = build_corpus(_tiny_corpus_config(), root)
    return root, directory, load_split(directory, "train")


def _rms_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-12))


def test_phoneme_events_align_with_the_waveform(synthesizer):
    wave, events = synthesizer.synthesize("A pot. A bad cat, a tap!", "en-us")
    rate = synthesizer.sample_rate
    assert rate == 22_050 and len(events) > 10
    onsets = [t for _, t in events]
    assert onsets == sorted(onsets) and onsets[-1] <= len(wave) / rate + 0.01
    segments = phoneme_segments(events, len(wave) / rate)

    def level(kind) -> list[float]:
        return [_rms_db(wave[int(s.start * rate) : int(s.end * rate)]) for s in segments
                if kind(s) and s.end - s.start > 0.02]  # fmt: skip

    pauses = level(lambda s: s.viseme == REST and 0 < s.start and s.end < len(wave) / rate)
    vowels = level(lambda s: VISEME_NAMES[s.viseme] in ("open", "mid", "round_open"))
    stops = level(lambda s: s.phoneme in ("p", "t", "k", "b", "d", "g"))
    assert pauses and vowels and stops
    # Pauses inside the utterance are silent: 30 dB under the vowels at least.
    assert max(pauses) < min(-45.0, np.median(vowels) - 30)
    assert np.median(vowels) > np.median(stops) + 6  # vowels louder than stops


def test_visemes_close_for_bilabials_and_anticipate_rounding():
    assert viseme_of("m") == viseme_of("p") == viseme_of("b") == BILABIAL
    assert viseme_of("_:") == REST
    assert VISEME_NAMES[viseme_of("u:")] == "round" and VISEME_NAMES[viseme_of("i:")] == "spread"
    assert [VISEME_NAMES[s.viseme] for s in phoneme_segments([("aI", 0.0)], 0.2)] == [
        "open", "spread"
    ]  # fmt: skip
    # "a-m-a", then a pause, then "t-u:": closure peaks in the m, rest in the pause, and the
    # lips round before the u: starts.
    events = [("a", 0.1), ("m", 0.3), ("a", 0.4), ("_", 0.6), ("t", 1.0), ("u:", 1.05)]
    segments = phoneme_segments(events, 1.4)
    stop = next(s for s in segments if s.phoneme == "t")
    assert stop.start < 1.0  # the closure moved before the release
    times = np.array([0.2, 0.35, 0.8, 1.0, 1.2, 0.0])
    mouth = mouth_targets(segments, times)
    assert mouth[1, LIP_CLOSURE] > 0.8 and mouth[0, LIP_CLOSURE] < 0.2
    assert mouth[0, JAW_OPEN] > 0.6 and mouth[1, JAW_OPEN] < 0.3
    assert np.abs(mouth[2]).max() < 0.15  # the middle of the pause is at rest
    assert 0.1 < mouth[3, LIP_ROUND] < mouth[4, LIP_ROUND]  # anticipated, then reached
    assert np.abs(mouth[5]).max() < 0.25  # 100 ms before speech: barely anticipating yet


def test_same_seed_same_corpus(tiny_corpus, tmp_path):
    from animation.speech_corpus import CorpusConfig, build_corpus, load_split, make_utterance

    _, directory, first = tiny_corpus
    again = load_split(build_corpus(_tiny_corpus_config(), tmp_path / "a"), "train")
    assert len(again) == len(first) == 6
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.log_mel, b.log_mel)
        np.testing.assert_array_equal(a.targets, b.targets)
        assert a.meta == b.meta
    other = [make_utterance(_tiny_corpus_config(seed=1), "train", i).meta for i in range(6)]
    assert [m["text"] for m in other] != [u.meta["text"] for u in first]
    held = load_split(directory, "heldout")
    config = CorpusConfig()
    assert all(u.waveform is not None for u in held)
    assert {u.meta["language"] for u in held} <= set(config.heldout_languages)
    assert not set(config.heldout_languages) & set(config.train_languages)
    assert not set(config.heldout_variants) & set(config.train_variants)
    for u in first:
        assert len(u.targets) == len(u.log_mel) // 2 and u.log_mel.shape[1] == 80


def test_an_utterance_cut_at_max_seconds_ends_in_a_pause(synthesizer):
    """The sound stops at the cut: the phone it cut must not hold the mouth open after it."""
    from animation.speech_corpus import CorpusConfig, make_utterance, target_times

    config = CorpusConfig(seed=0, n_train=1, words=(10, 12), p_sentence=0.0, max_seconds=1.0,
                          **ESPEAK_ONLY)  # fmt: skip
    u = make_utterance(config, "train", 0)
    name, cut = u.meta["events"][-1]
    speed = u.meta["augmentation"].get("speed", 1.0)
    assert name == "_" and cut == pytest.approx(u.meta["lead_s"] + 1.0 / speed, abs=2e-3)
    after = target_times(len(u.log_mel)) > cut + 0.25
    assert after.any() and np.abs(u.targets[after].astype(np.float32)).max() < 0.05


def test_model_shapes_lookahead_and_size():
    assert parameter_count(MouthNet()) <= 5_000_000
    torch.manual_seed(0)
    model = MouthNet(TINY_MODEL).eval()
    mel = torch.randn(2, 201, 80) - 5  # (B, T, 80)
    level = clip_level(mel, model.config)
    with torch.no_grad():
        out = model(mel, level)
        assert out.shape == (2, 100, 4)
        assert model(mel, level, pad_future=False).shape == (2, 96, 4)
        # Output j sees mel frames up to 2 (j + lookahead) + 1 and nothing later.
        j, look = 40, TINY_MODEL.lookahead_frames
        later = mel.clone()
        later[:, 2 * (j + look + 1) :] += 3.0
        changed = model(later, level)
        torch.testing.assert_close(changed[:, : j + 1], out[:, : j + 1])
        near = mel.clone()
        near[:, 2 * (j + look)] += 3.0
        assert not torch.allclose(model(near, level)[:, j], out[:, j])


def test_band_reference_removes_a_lasting_colouring():
    """With `band_norm`, a constant per-band gain (a microphone, a voice's tilt) changes
    nothing; with the single level it does."""
    torch.manual_seed(0)
    mel = torch.randn(1, 120, 80) - 5  # (B, T, 80)
    colouring = torch.linspace(-2.0, 1.5, 80)  # nats per band
    for band_norm, same in ((True, True), (False, False)):
        model = MouthNet(replace(TINY_MODEL, band_norm=band_norm)).eval()
        with torch.no_grad():
            outs = [model(m, clip_level(m, model.config), pad_future=False)
                    for m in (mel, mel + colouring)]  # fmt: skip
        assert clip_level(mel, model.config).shape == ((1, 80) if band_norm else (1,))
        assert torch.allclose(*outs, atol=1e-4) is same


def test_crop_sampler_warps_bands_and_weights_families(tiny_corpus):
    from animation.train_mouth import CropSampler, band_warp, warp_bands

    lower, fraction = band_warp(1.0)
    values = np.random.default_rng(0).normal(size=(3, 80)).astype(np.float32)
    np.testing.assert_allclose(warp_bands(values, lower, fraction), values, atol=1e-5)
    lower, fraction = band_warp(1.2)  # formants move up: band k reads a lower band
    ramp = np.arange(80, dtype=np.float32)
    assert (warp_bands(ramp, lower, fraction)[1:] < ramp[1:]).all()
    _, _, utterances = tiny_corpus
    tagged = [replace(u, meta={**u.meta, "family": "kokoro" if i == 0 else "espeak"})
              for i, u in enumerate(utterances)]  # fmt: skip
    config = TrainConfig(seed=1, family_weights=(("kokoro", 50.0),), warp=(0.9, 1.1))
    sampler = CropSampler(tagged, TINY_MODEL, config)
    draws = [sampler._next_index() for _ in range(200)]
    assert draws.count(0) > 150  # 50 / (50 + 5) of the draws
    mel, level, target, mask = sampler.batch(4, 20)
    assert mel.shape == (4, 2 * (20 + TINY_MODEL.lookahead_frames), 80) and level.shape == (4,)


def test_tiny_training_run_loss_falls(tiny_corpus):
    _, _, utterances = tiny_corpus
    config = TrainConfig(seed=3, steps=60, batch_size=8, crop_frames=50, warmup_steps=5,
                         learning_rate=3e-3)  # fmt: skip
    model, curve = train(utterances, TINY_MODEL, config, device="cpu", log_every=10,
                         log=lambda line: None)  # fmt: skip
    losses = [loss for _, loss in curve]
    assert len(losses) == 6
    assert losses[-1] < 0.6 * losses[0]
    assert not model.training


def test_checkpoint_round_trip_and_map_location(tmp_path):
    torch.manual_seed(0)
    model = MouthNet(TINY_MODEL).eval()
    path = tmp_path / "tiny.pt"
    save_checkpoint(model, path, {"training": {"seed": 0}}, version="tiny_v0")
    loaded, version = load_checkpoint(path, map_location="cpu")
    assert version == "tiny_v0" and loaded.config == TINY_MODEL
    mel = torch.randn(1, 60, 80)
    with torch.no_grad():
        torch.testing.assert_close(loaded(mel, clip_level(mel, TINY_MODEL)),
                                   model(mel, clip_level(mel, TINY_MODEL)))  # fmt: skip
    assert json.loads(path.with_suffix(".json").read_text())["training"] == {"seed": 0}


def test_closure_calibration_is_fitted_saved_and_applied(tiny_corpus, tmp_path):
    """The fitted lip_closure quantiles travel in the checkpoint and the predictor maps its
    outputs through them (the shipped net's decisions are what the rig sees)."""
    from animation.audio import compute_features
    from animation.train_mouth import fit_closure_quantiles

    _, _, utterances = tiny_corpus
    torch.manual_seed(0)
    model = MouthNet(TINY_MODEL).eval()
    predicted, target = fit_closure_quantiles(model, utterances, n_quantiles=11)
    assert len(predicted) == len(target) == 11
    assert list(predicted) == sorted(predicted) and list(target) == sorted(target)
    assert target[0] >= 0.0 and target[-1] <= 1.0 + 1e-6
    # A calibration that maps every closure to 0.5: the other parameters stay as they were.
    plain_path, path = tmp_path / "plain.pt", tmp_path / "calibrated.pt"
    save_checkpoint(model, plain_path, {})
    model.config = replace(TINY_MODEL, closure_quantiles=((-10.0, 10.0), (0.5, 0.5)))
    save_checkpoint(model, path, {})
    loaded, _ = load_checkpoint(path)
    assert loaded.config.closure_quantiles == ((-10.0, 10.0), (0.5, 0.5))
    rng = np.random.default_rng(1)
    features = compute_features(rng.normal(0, 0.1, 32_000).astype(np.float32), 25.0)
    plain = LearnedMouthPredictor(plain_path).predict(features).numpy()
    calibrated = LearnedMouthPredictor(path).predict(features).numpy()
    np.testing.assert_allclose(calibrated[:, LIP_CLOSURE], 0.5, atol=1e-6)
    np.testing.assert_array_equal(np.delete(calibrated, LIP_CLOSURE, 1),
                                  np.delete(plain, LIP_CLOSURE, 1))  # fmt: skip
    assert not np.allclose(plain[:, LIP_CLOSURE], 0.5)


def test_an_ensemble_trains_its_members_from_successive_seeds(tiny_corpus, tmp_path):
    """members=2: the first member is the single run of the seed, the second the run of the
    next seed; the ensemble outputs their mean and survives a checkpoint round trip."""
    from animation.mouth_model import MouthEnsemble

    _, _, utterances = tiny_corpus
    config = TrainConfig(seed=5, steps=6, batch_size=4, crop_frames=40, warmup_steps=2)
    quiet = {"device": "cpu", "log": lambda line: None}
    ensemble, curve = train(utterances, replace(TINY_MODEL, members=2), config, **quiet)
    assert isinstance(ensemble, MouthEnsemble) and len(curve) == 1
    singles = [train(utterances, TINY_MODEL, replace(config, seed=seed), **quiet)[0]
               for seed in (5, 6)]  # fmt: skip
    for member, single in zip(ensemble.members, singles, strict=True):
        assert torch.equal(member.head.weight, single.head.weight)
    mel = torch.randn(1, 60, 80)
    level = clip_level(mel, TINY_MODEL)
    with torch.no_grad():
        mean = (singles[0](mel, level) + singles[1](mel, level)) / 2
        torch.testing.assert_close(ensemble(mel, level), mean)
        save_checkpoint(ensemble, tmp_path / "pair.pt", {}, version="pair")
        loaded, _ = load_checkpoint(tmp_path / "pair.pt")
        assert isinstance(loaded, MouthEnsemble) and loaded.config.members == 2
        torch.testing.assert_close(loaded(mel, level), mean)
    assert parameter_count(loaded) == 2 * parameter_count(singles[0])


def test_shipped_checkpoint_loads_on_cpu():
    assert DEFAULT_WEIGHTS.is_file(), "animation/weights/mouth_v2.pt is not committed"
    assert DEFAULT_WEIGHTS.stat().st_size <= 20 * 2**20
    model, version = load_checkpoint(DEFAULT_WEIGHTS, map_location=torch.device("cpu"))
    assert version == "mouth_v2"
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert parameter_count(model) <= 5_000_000
    info = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert info["corpus"]["config"]["seed"] == info["training"]["seed"]
    assert set(info["corpus"]["config"]["heldout_languages"]).isdisjoint(
        info["corpus"]["config"]["train_languages"]
    )
    assert {"steps", "batch_size", "learning_rate"} <= set(info["training"])


def test_learned_predictor_plugs_in_and_follows_speech(espeak, silence_wav):
    from animation.audio import compute_features, decode_audio
    from animation.versions import MODEL_VERSIONS

    predictor = resolve_predictor("learned")
    assert isinstance(predictor, LearnedMouthPredictor) and isinstance(predictor, AudioToMotion)
    assert isinstance(predictor, ModelPredictor)
    assert predictor.version == "mouth_v2"
    # No hidden cache: every resolve builds a new one (its owner keeps it); instances pass.
    assert isinstance(resolve_predictor(None), LearnedMouthPredictor)  # the pipeline's default
    assert resolve_predictor("learned") is not predictor
    assert resolve_predictor(predictor) is predictor
    assert isinstance(resolve_predictor("signal"), SignalMouthPredictor)
    assert runs_a_model(predictor) and not runs_a_model(resolve_predictor("signal"))
    assert MODEL_VERSIONS["audio_to_motion"] == "learned-mouth_v2"
    with pytest.raises(ValueError, match="Unknown mouth predictor"):
        resolve_predictor("magic")
    features = compute_features(decode_audio(espeak("Bob may open the big blue box.")), 25.0)
    mouth = predictor.predict(features).numpy()
    assert mouth.shape == (features.n_frames, 4) and mouth.dtype == np.float32
    assert mouth.min() >= -1 and mouth.max() <= 1 and mouth[:, JAW_OPEN].min() >= 0
    jaw = mouth[:, JAW_OPEN]
    assert jaw.max() > 0.5 and jaw.min() < 0.1
    assert mouth[:, LIP_CLOSURE].max() > 0.5  # the b / m / p close the lips
    loud = features.frame_rms_db.numpy()
    assert np.corrcoef(jaw, loud)[0, 1] > 0.5
    silent = compute_features(decode_audio(silence_wav), 25.0)
    assert float(predictor.predict(silent).abs().max()) == 0.0


def test_import_animation_loads_neither_torch_nor_weights():
    code = "import sys, animation; assert 'torch' not in sys.modules; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr


@pytest.mark.slow
def test_training_is_reproducible_from_the_seed(tiny_corpus):
    _, _, utterances = tiny_corpus
    config = TrainConfig(seed=5, steps=15, batch_size=4, crop_frames=40, warmup_steps=2)
    runs = [train(utterances, TINY_MODEL, config, device="cpu", log=lambda line: None)[0]
            for _ in range(2)]  # fmt: skip
    for (name, a), (_, b) in zip(runs[0].state_dict().items(), runs[1].state_dict().items(),
                                 strict=True):  # fmt: skip
        assert torch.equal(a, b), name
    other = train(utterances, TINY_MODEL, replace(config, seed=6), device="cpu",
                  log=lambda line: None)[0]  # fmt: skip
    assert not torch.equal(other.head.weight, runs[0].head.weight)


@pytest.mark.slow
def test_learned_beats_signal_on_fresh_heldout_speech(synthesizer, tmp_path):
    """A fresh held-out sample (other seed): the shipped model wins on every quality figure."""
    from animation.evaluate_mouth import evaluate
    from animation.speech_corpus import CorpusConfig, build_corpus

    config = CorpusConfig(seed=123, n_train=0, n_heldout=16, **ESPEAK_ONLY)
    directory = build_corpus(config, tmp_path)
    results = evaluate({"learned": LearnedMouthPredictor(), "signal": SignalMouthPredictor()},
                       directory, speed=False)  # fmt: skip
    assert set(results) == {"espeak"}
    learned, signal = results["espeak"]["learned"], results["espeak"]["signal"]
    assert learned["pearson_jaw_open"] >= 0.8
    for key in ("pearson_jaw_open", "pearson_lip_width", "pearson_lip_round",
                "pearson_lip_closure", "viseme_accuracy"):  # fmt: skip
        assert learned[key] > signal[key], key
    assert abs(learned["av_offset_frames"]) <= 1


def test_pipeline_uses_the_learned_predictor_by_default(portraits, short_speech, tmp_path):
    from animation import animate

    result = animate(portraits["color"], short_speech, tmp_path / "learned.mp4", size=256)
    assert result.model_versions["audio_to_motion"] == "learned-mouth_v2"
    jaw = result.motion.mouth[:, JAW_OPEN]
    assert jaw.max() > 0.4 and jaw[0] == 0.0  # speaks, and opens on the still portrait
    other = animate(portraits["color"], short_speech, tmp_path / "signal.mp4", size=256,
                    predictor="signal")  # fmt: skip
    assert other.model_versions["audio_to_motion"] == "signal-1"
    assert not np.allclose(other.motion.mouth, result.motion.mouth)
