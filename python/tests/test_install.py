import os
import subprocess
import sys


def test_pip_installs_the_package_offline(tmp_path):
    """pip (Debian's python3-pip) builds and installs it with Debian's
    setuptools, no network: --no-build-isolation."""
    src = os.path.join(os.path.dirname(__file__), "..")
    build = tmp_path / "src"
    subprocess.run(["cp", "-r", src, str(build)], check=True)  # keeps the tree clean
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                        "--no-deps", "--no-index", "--target", str(tmp_path / "site"),
                        str(build)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-c", "import vgpu; print(vgpu.__file__)"],
                       capture_output=True, text=True, cwd=tmp_path,
                       env=dict(os.environ, PYTHONPATH=str(tmp_path / "site")))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(str(tmp_path / "site"))
