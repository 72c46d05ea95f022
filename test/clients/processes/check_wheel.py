"""What python-package.e2e-spec.ts asserts of the release's wheel and sdist, read as JSON.

Usage: check_wheel.py <wheel> <sdist> <clients/python>. The standard library alone, and nothing of
the backend that built them but its TOML reading, compared with tomllib's: a wheel is read as
pip reads one (a zip, its RECORD's urlsafe-base64 SHA-256 and size of every file, WHEEL and
METADATA as email headers).
"""

import base64
import email.parser
import hashlib
import json
import os
import sys
import tarfile
import tomllib
import zipfile


def headers(data):
    message = email.parser.BytesParser().parsebytes(data)
    out = {}
    for key, value in message.items():
        out.setdefault(key, []).append(value)
    # Core metadata is UTF-8: its body (the description) read as bytes, then decoded so.
    return out, message.get_payload(decode=True).decode("utf-8")


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def check_wheel(path):
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        files = {name: wheel.read(name) for name in names}
        corrupt = wheel.testzip()
        modes = sorted({(i.external_attr >> 16) & 0o777 for i in wheel.infolist()})
    info = sorted({n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")})
    record_name = f"{info[0]}/RECORD" if len(info) == 1 else None
    rows = [line.split(",") for line in files.get(record_name, b"").decode().splitlines()]
    listed = [row[0] for row in rows]
    wrong = [
        row[0]
        for row in rows
        if row[0] != record_name
        and (row[0] not in files or row[1:] != [digest(files[row[0]]), str(len(files[row[0]]))])
    ]
    wheel_headers, _ = headers(files.get(f"{info[0]}/WHEEL", b""))
    metadata, description = headers(files.get(f"{info[0]}/METADATA", b""))
    return {
        "names": sorted(names),
        "corrupt": corrupt,
        "dist_info": info,
        "record": {
            "unlisted": sorted(set(names) - set(listed)),
            "listed_twice": sorted({n for n in listed if listed.count(n) > 1}),
            "not_in_wheel": sorted(set(listed) - set(names)),
            "wrong_hash_or_size": wrong,
            "own_row": [r for r in rows if r[0] == record_name],
        },
        "wheel": wheel_headers,
        "metadata": metadata,
        "description": description,
        "modes": modes,
    }


def check_sdist(path):
    with tarfile.open(path) as sdist:
        members = sdist.getmembers()
        pkg_info = [m for m in members if m.name.endswith("/PKG-INFO") and m.name.count("/") == 1]
        data = sdist.extractfile(pkg_info[0]).read() if pkg_info else b""
    return {
        "names": sorted(m.name for m in members),
        "kinds": sorted({"file" if m.isfile() else "other" for m in members}),
        "pkg_info": data.decode(),
    }


def main():
    wheel, sdist, source = sys.argv[1:4]
    with open(os.path.join(source, "pyproject.toml"), "rb") as f:
        pyproject = tomllib.load(f)
    with open(os.path.join(source, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    sys.path.insert(0, source)
    import build_backend  # noqa: E402

    with zipfile.ZipFile(wheel) as w:
        metadata = [w.read(n) for n in w.namelist() if n.endswith(".dist-info/METADATA")]
    with open(os.path.join(source, pyproject["project"]["readme"]), encoding="utf-8") as f:
        readme = f.read()
    result = {
        "wheel": check_wheel(wheel),
        "sdist": check_sdist(sdist),
        "project": pyproject["project"],
        "readme": readme,
        "subset_parser_agrees": build_backend.parse_toml_subset(text) == tomllib.loads(text),
    }
    result["pkg_info_is_metadata"] = [result["sdist"]["pkg_info"].encode()] == metadata
    print(json.dumps(result))


main()
