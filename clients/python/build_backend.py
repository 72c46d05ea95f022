"""The PEP 517 build backend of the latchkey package: a wheel and an sdist, with nothing fetched.

pip, ``python -m build`` and the release (``npm run pack:clients``) call these hooks. A backend
from PyPI (setuptools, hatchling) would have to be downloaded before anything is built, which an
offline machine cannot do; this one is the standard library alone (``zipfile``, ``tarfile``,
``hashlib``).

What it reads: ``[project]`` of pyproject.toml (each key it does not know is an error, so no
setting is silently dropped), and ``[tool.latchkey-build] packages``, the import packages the
wheel holds. The wheel holds those packages and its ``.dist-info`` (METADATA, WHEEL, RECORD); the
sdist holds them, pyproject.toml, this file, the readme and CHANGELOG.md, and PKG-INFO. Tests and
caches are in neither.

Both are the same bytes for the same sources: every entry has the time of SOURCE_DATE_EPOCH
(1980-01-01 when unset, the earliest a zip can hold), in name order.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile
from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_wheel",
]

ROOT = os.path.dirname(os.path.abspath(__file__))
GENERATOR = "latchkey build_backend"
KNOWN_PROJECT_KEYS = {
    "name",
    "version",
    "description",
    "readme",
    "requires-python",
    "dependencies",
    "classifiers",
    "urls",
}
SDIST_EXTRA = ("CHANGELOG.md",)
_SKIPPED = re.compile(r"(^|/)(__pycache__(/|$)|.*\.py[cod]$)")


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Optional[dict] = None
) -> str:
    project = _Project.load()
    info = os.path.join(metadata_directory, project.dist_info)
    os.makedirs(info, exist_ok=True)
    for name, data in (("METADATA", project.metadata()), ("WHEEL", project.wheel_file())):
        with open(os.path.join(info, name), "wb") as f:
            f.write(data)
    return project.dist_info


def build_wheel(
    wheel_directory: str,
    config_settings: Optional[dict] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    project = _Project.load()
    files = [(path, _read(path)) for path in project.package_files()]
    files.append((f"{project.dist_info}/METADATA", project.metadata()))
    files.append((f"{project.dist_info}/WHEEL", project.wheel_file()))
    record = f"{project.dist_info}/RECORD"
    lines = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files]
    # RECORD cannot hold its own hash (PEP 376): its line has none.
    files.append((record, ("\n".join(lines + [f"{record},,"]) + "\n").encode("utf-8")))

    name = f"{project.wheel_name}-{project.version}-py3-none-any.whl"
    os.makedirs(wheel_directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files:
            entry = zipfile.ZipInfo(path, date_time=_zip_time())
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    return name


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    project = _Project.load()
    base = f"{project.wheel_name}-{project.version}"
    members = ["pyproject.toml", os.path.basename(__file__), project.readme, *SDIST_EXTRA]
    files = [(path, _read(path)) for path in sorted(set(members + project.package_files()))]
    files.append(("PKG-INFO", project.metadata()))

    name = f"{base}.tar.gz"
    os.makedirs(sdist_directory, exist_ok=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in sorted(files):
            entry = tarfile.TarInfo(f"{base}/{path}")
            entry.size, entry.mode, entry.mtime = len(data), 0o644, _epoch()
            entry.uname = entry.gname = ""
            tar.addfile(entry, io.BytesIO(data))
    with open(os.path.join(sdist_directory, name), "wb") as out:
        # gzip's own header holds a time and a file name: the epoch, and none.
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=_epoch()) as zipped:
            zipped.write(raw.getvalue())
    return name


class _Project:
    def __init__(self, pyproject: Dict[str, Any]) -> None:
        project = pyproject.get("project")
        if not isinstance(project, dict):
            raise ValueError("pyproject.toml: no [project] table")
        unknown = sorted(set(project) - KNOWN_PROJECT_KEYS)
        if unknown:
            raise ValueError(f"pyproject.toml: [project] {', '.join(unknown)}: not built by {GENERATOR}")
        self.project = project
        self.name = _string(project, "name")
        self.version = _string(project, "version")
        if not re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", self.version):
            raise ValueError(f"pyproject.toml: version {self.version!r} is not a release PEP 440 knows")
        self.readme = _string(project, "readme")
        self.wheel_name = re.sub(r"[-_.]+", "_", self.name).lower()
        self.dist_info = f"{self.wheel_name}-{self.version}.dist-info"
        tool = pyproject.get("tool", {}).get("latchkey-build", {})
        self.packages = tool.get("packages")
        if not self.packages or not all(isinstance(p, str) for p in self.packages):
            raise ValueError("pyproject.toml: [tool.latchkey-build] packages names no package")

    @classmethod
    def load(cls) -> "_Project":
        return cls(parse_toml(_read("pyproject.toml").decode("utf-8")))

    def package_files(self) -> List[str]:
        found = []
        for package in self.packages:
            if not os.path.isfile(os.path.join(ROOT, package, "__init__.py")):
                raise ValueError(f"{package}/__init__.py: no such package")
            for folder, dirs, names in os.walk(os.path.join(ROOT, package)):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                for name in names:
                    path = os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
                    if not _SKIPPED.search(path):
                        found.append(path)
        return sorted(found)

    def metadata(self) -> bytes:
        """Core metadata 2.1: METADATA in the wheel, PKG-INFO in the sdist."""
        p = self.project
        fields: List[Tuple[str, str]] = [
            ("Metadata-Version", "2.1"),
            ("Name", self.name),
            ("Version", self.version),
        ]
        if "description" in p:
            fields.append(("Summary", _string(p, "description")))
        if "requires-python" in p:
            fields.append(("Requires-Python", _string(p, "requires-python")))
        fields += [("Requires-Dist", d) for d in _strings(p, "dependencies")]
        fields += [("Classifier", c) for c in _strings(p, "classifiers")]
        for label, url in sorted((p.get("urls") or {}).items()):
            fields.append(("Project-URL", f"{label}, {url}"))
        kind = "text/markdown" if self.readme.endswith(".md") else "text/plain"
        fields.append(("Description-Content-Type", kind))
        head = "".join(f"{key}: {value}\n" for key, value in fields)
        return (head + "\n" + _read(self.readme).decode("utf-8")).encode("utf-8")

    def wheel_file(self) -> bytes:
        return (
            "Wheel-Version: 1.0\n"
            f"Generator: {GENERATOR}\n"
            "Root-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ).encode("utf-8")


def _string(table: Dict[str, Any], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value or "\n" in value:
        raise ValueError(f"pyproject.toml: [project] {key} must be a one-line string")
    return value


def _strings(table: Dict[str, Any], key: str) -> List[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"pyproject.toml: [project] {key} must be a list of strings")
    return value


def _read(path: str) -> bytes:
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def _epoch() -> int:
    return max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)


def _zip_time() -> Tuple[int, int, int, int, int, int]:
    return time.gmtime(_epoch())[:6]


def parse_toml(text: str) -> Dict[str, Any]:
    """tomllib's reading (Python 3.11+); before 3.11, the part of TOML pyproject.toml uses."""
    try:
        import tomllib
    except ImportError:
        return parse_toml_subset(text)
    return tomllib.loads(text)


_KEY = r"[A-Za-z0-9_-]+"
_STRING = r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\''


def parse_toml_subset(text: str) -> Dict[str, Any]:
    """Tables, bare keys, strings, lists of strings and booleans; anything else is an error."""
    document: Dict[str, Any] = {}
    table = document
    pending: Optional[Tuple[str, str]] = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = _without_comment(raw).strip()
        if pending:
            pending = (pending[0], f"{pending[1]} {line}")
            if not pending[1].rstrip().endswith("]"):
                continue
            key, value, pending = pending[0], pending[1], None
            table[key] = _value(value, number)
            continue
        if not line:
            continue
        header = re.fullmatch(rf"\[\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]", line)
        if header:
            table = document
            for part in re.split(r"\s*\.\s*", header.group(1)):
                table = table.setdefault(part, {})
            continue
        pair = re.fullmatch(rf"({_KEY})\s*=\s*(.+)", line)
        if not pair or pair.group(1) in table:
            raise ValueError(f"pyproject.toml:{number}: not TOML this backend reads: {raw!r}")
        if pair.group(2).startswith("[") and not pair.group(2).endswith("]"):
            pending = (pair.group(1), pair.group(2))
            continue
        table[pair.group(1)] = _value(pair.group(2), number)
    if pending:
        raise ValueError(f"pyproject.toml: the list {pending[0]} never closes")
    return document


def _without_comment(line: str) -> str:
    out, quote = "", None
    for ch in line:
        if quote is None and ch == "#":
            break
        if ch in "\"'" and (quote is None or quote == ch) and not out.endswith("\\"):
            quote = None if quote == ch else ch
        out += ch
    return out


def _value(text: str, number: int) -> Any:
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(_STRING, text):
        return _unquote(text)
    if text.startswith("[") and text.endswith("]"):
        items = re.findall(rf"\s*({_STRING})\s*(?:,|$)", text[1:-1])
        rebuilt = re.sub(rf"\s*({_STRING})\s*(,|$)", "", text[1:-1]).strip()
        if rebuilt:
            raise ValueError(f"pyproject.toml:{number}: a list of anything but strings")
        return [_unquote(item) for item in items]
    raise ValueError(f"pyproject.toml:{number}: a value this backend does not read: {text!r}")


def _unquote(text: str) -> str:
    if text.startswith("'"):
        return text[1:-1]
    escapes = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}

    def one(match: "re.Match[str]") -> str:
        code = match.group(1)
        if code[0] in "uU":
            return chr(int(code[1:], 16))
        return escapes[code]

    return re.sub(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[btnfr\"\\])", one, text[1:-1])
