"""Synthetic generators against their stated statistics; the built-in datasets' known values."""

from __future__ import annotations

import hashlib
import math
import statistics
from pathlib import Path

import pytest
from support import run

import torsh_data as td
from torsh_data import tabular as tb
from torsh_data.tabular import _builtin


def test_blobs_statistics() -> None:
    centers = [[0.0, 0.0], [5.0, -5.0], [-10.0, 3.0]]
    ds = tb.make_blobs(3000, centers=centers, cluster_std=[0.5, 1.0, 2.0], seed=1)
    rows, ys = ds.data.tolist(), ds.target.tolist()
    for k, (c, sd) in enumerate(zip(centers, [0.5, 1.0, 2.0], strict=True)):
        pts = [r for r, y in zip(rows, ys, strict=True) if y == k]
        assert len(pts) == 1000
        for j in range(2):
            col = [p[j] for p in pts]
            assert abs(statistics.fmean(col) - c[j]) < 5 * sd / math.sqrt(1000)
            assert abs(statistics.pstdev(col) / sd - 1) < 0.1
    again = tb.make_blobs(3000, centers=centers, cluster_std=[0.5, 1.0, 2.0], seed=1)
    assert again.data.tolist() == rows
    drawn = tb.make_blobs(10, n_features=3, centers=4, seed=2)
    assert all(-10 <= v <= 10 for c in drawn.centers for v in c) and drawn.data.shape == (10, 3)


def test_regression_is_linear_in_its_coefficients() -> None:
    ds, w = tb.make_regression(200, n_features=6, n_informative=3, bias=2.5, coef=True, seed=3)
    assert all(0 <= v <= 100 for v in w[:3]) and w[3:] == [0.0] * 3
    for x, y in zip(ds.data.tolist(), ds.target.tolist(), strict=True):
        assert y == pytest.approx(
            sum(a * b for a, b in zip(x, w, strict=True)) + 2.5, rel=1e-9, abs=1e-9
        )
    noisy, w2 = tb.make_regression(
        4000, n_features=2, n_informative=2, noise=3.0, coef=True, seed=4
    )
    resid = [
        y - sum(a * b for a, b in zip(x, w2, strict=True))
        for x, y in zip(noisy.data.tolist(), noisy.target.tolist(), strict=True)
    ]
    assert abs(statistics.pstdev(resid) / 3.0 - 1) < 0.06
    all_x = [v for r in noisy.data.tolist() for v in r]
    assert abs(statistics.fmean(all_x)) < 0.05 and abs(statistics.pstdev(all_x) - 1) < 0.03


def test_classification_design() -> None:
    ds = tb.make_classification(
        2000,
        n_features=6,
        n_informative=3,
        n_redundant=2,
        n_classes=3,
        n_clusters_per_class=2,
        flip_y=0.0,
        seed=5,
    )
    rows, ys = ds.data.tolist(), ds.target.tolist()
    assert sorted(set(ys)) == [0, 1, 2] and abs(ys.count(0) - 667) <= 1
    # redundant features are one fixed linear combination of the informative ones
    a = [r[:3] for r in rows[:3]]
    for j in (3, 4):
        coef = _solve3(a, [r[j] for r in rows[:3]])
        assert all(
            abs(sum(c * v for c, v in zip(coef, r[:3], strict=True)) - r[j]) < 1e-6 for r in rows
        )
    flipped = tb.make_classification(
        4000, n_classes=2, flip_y=0.5, shuffle=False, seed=6
    ).target.tolist()
    # half the labels are redrawn uniformly: about a quarter end up different from their cluster
    base = [k % 2 for k in range(2) for _ in range(0)]
    assert (
        base == []
        and 0.2 < sum(1 for i, y in enumerate(flipped) if y != (i // 1000) % 2) / 4000 < 0.3
    )
    with pytest.raises(td.DataValueError, match="n_informative"):
        tb.make_classification(n_informative=1, n_classes=3, n_clusters_per_class=1, n_redundant=0)


def _solve3(a: list[list[float]], b: list[float]) -> list[float]:
    def det(m: list[list[float]]) -> float:
        return (
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        )

    d = det(a)
    return [
        det([[b[i] if k == j else a[i][k] for k in range(3)] for i in range(3)]) / d
        for j in range(3)
    ]


def test_builtin_shipped_datasets_have_their_known_values() -> None:
    iris = tb.load_builtin_dataset("iris")
    assert [round(statistics.fmean(c), 3) for c in zip(*iris.data.tolist(), strict=True)] == [
        5.843,
        3.057,
        3.758,
        1.199,
    ]
    assert [iris.target.tolist().count(k) for k in range(3)] == [50, 50, 50]
    wine = tb.load_builtin_dataset("wine")
    assert wine.data.shape == (178, 13) and [wine.target.tolist().count(k) for k in range(3)] == [
        59,
        71,
        48,
    ]
    raw = tb.load_builtin_dataset("diabetes", scaled=False)
    assert raw.data[0].tolist() == [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]
    assert raw.target[0].item() == 151.0 and len(raw) == 442
    scaled = tb.load_builtin_dataset("diabetes")
    for col in zip(*scaled.data.tolist(), strict=True):
        assert abs(math.fsum(col)) < 1e-12 and math.fsum(v * v for v in col) == pytest.approx(1.0)


def test_builtin_bad_names_and_unfetched() -> None:
    with pytest.raises(td.DataValueError, match="boston"):
        tb.load_builtin_dataset("boston")
    _builtin._fetched.pop("digits", None)
    with pytest.raises(td.DataValueError, match="fetch_builtin_dataset"):
        tb.load_builtin_dataset("digits")


def test_builtin_parser_rejects_damaged_files() -> None:
    with pytest.raises(td.FormatError, match="bad header"):
        _builtin._parse("iris", b"x,y\n1,2\n")
    with pytest.raises(td.FormatError, match="expected 2 rows"):
        _builtin._parse("iris", b"2,4,a,b\n1,2,3,4,0\n")
    with pytest.raises(td.FormatError, match="not a row of numbers"):
        _builtin._parse("iris", b"1,4,a\n1,2,x,4,0\n")


@pytest.mark.native_only(reason="serves the files from an in-process HTTP server thread")
def test_fetch_builtin_dataset_verifies_and_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools
    import http.server
    import threading

    body = b"3,30,malignant,benign\n" + b"".join(
        (",".join(str(float(i + j)) for j in range(30)) + f",{i % 2}\n").encode() for i in range(3)
    )
    (tmp_path / "bc.csv").write_bytes(body)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/bc.csv"
    try:
        entry = _builtin.BUILTIN_DATASETS["breast_cancer"]
        monkeypatch.setitem(
            _builtin.BUILTIN_DATASETS, "breast_cancer", (entry[0], url, "0" * 64, entry[3])
        )
        _builtin._fetched.pop("breast_cancer", None)
        with pytest.raises(td.TorshDataError, match=r"sha256|integrity"):
            run(tb.fetch_builtin_dataset("breast_cancer"))
        assert "breast_cancer" not in _builtin._fetched
        good = (entry[0], url, hashlib.sha256(body).hexdigest(), entry[3])
        monkeypatch.setitem(_builtin.BUILTIN_DATASETS, "breast_cancer", good)
        ds = run(tb.fetch_builtin_dataset("breast_cancer"))
        assert (
            len(ds) == 3
            and ds.target_names == ["malignant", "benign"]
            and ds.feature_names[0] == "mean radius"
        )
        assert tb.load_builtin_dataset("breast_cancer").data.tolist() == ds.data.tolist()
    finally:
        _builtin._fetched.pop("breast_cancer", None)
        server.shutdown()
        server.server_close()
