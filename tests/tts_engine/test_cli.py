"""`python -m tts_engine`: a valid audio file from a local model dir, one line on failure."""

from __future__ import annotations

import io
import subprocess
import sys

import soundfile as sf

from tts_engine.__main__ import main


def test_cli_writes_a_valid_wav(model_dir, tmp_path, capsys):
    out = tmp_path / "hello.wav"
    status = main([
        "Hello, Kokoro.", "--voice", "af_heart", "--lang", "a", "--speed", "1.0",
        "-o", str(out), "--model-dir", str(model_dir), "--device", "cpu",
        "--threads", "1",
    ])
    assert status == 0
    info = sf.info(io.BytesIO(out.read_bytes()))
    assert (info.samplerate, info.channels, info.subtype) == (24000, 1, "PCM_16")
    assert info.duration > 0.3
    assert str(out) in capsys.readouterr().out


def test_cli_lists_voices(model_dir, capsys):
    assert main(["--list-voices", "--lang", "b", "--model-dir", str(model_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["bf_emma", "bm_george"]


def test_cli_bad_voice_is_one_line(model_dir, capsys):
    assert main(["Hi", "--voice", "af_bela", "--model-dir", str(model_dir)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: There is no voice called 'af_bela'") and "\n" not in err


def test_cli_missing_model_is_one_line_not_a_traceback(tmp_path):
    missing = tmp_path / "nowhere"
    result = subprocess.run(
        [sys.executable, "-m", "tts_engine", "Hi", "--model-dir", str(missing),
         "-o", str(tmp_path / "x.wav")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(missing) in lines[0]
    assert not (tmp_path / "x.wav").exists()
