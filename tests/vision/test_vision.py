"""Vision datasets and image conversions, on files built byte by byte from the formats'
published layouts (IDX header, CIFAR-10 records, PNG chunks), never by the code under test."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import tarfile
import zlib

import pytest
from hypothesis import given
from strategies import uint8_images
from support import has_module, run

from torsh_data import (
    DataLoader,
    DataTypeError,
    DataValueError,
    FormatError,
    MissingExtraError,
    ShapeError,
    SourceError,
    Tensor,
)
from torsh_data.transforms import Compose, Normalize, RandomHorizontalFlip
from torsh_data.vision import (
    CIFAR10,
    MNIST,
    FashionMNIST,
    ImageFolder,
    ImageNet,
    ImageToTensor,
    TensorToImage,
    TensorToVideo,
    VideoFolder,
    VideoToTensor,
    encode_png,
)


def idx_bytes(code: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    return (
        b"\x00\x00" + bytes([code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload
    )


def write(path, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def pgm(w: int, h: int, values: list[int]) -> bytes:
    return f"P2 {w} {h} 255 ".encode() + " ".join(map(str, values)).encode()


# --- MNIST ------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("raw_layout", [False, True])
def test_mnist_reads_idx_files(tmp_path, gz, raw_layout):
    folder = tmp_path / "MNIST" / "raw" if raw_layout else tmp_path
    pixels = bytes((i * 7) % 256 for i in range(3 * 28 * 28))
    for prefix, n, labels in (("train", 3, [5, 0, 9]), ("t10k", 2, [1, 2])):
        imgs = idx_bytes(0x08, (n, 28, 28), pixels[: n * 784])
        labs = idx_bytes(0x08, (n,), bytes(labels))
        suffix = ".gz" if gz else ""
        pack = gzip.compress if gz else bytes
        write(str(folder / f"{prefix}-images-idx3-ubyte{suffix}"), pack(imgs))
        write(str(folder / f"{prefix}-labels-idx1-ubyte{suffix}"), pack(labs))
    train = MNIST(tmp_path)
    assert len(train) == 3 and train.targets == [5, 0, 9]
    img, label = train[1]
    assert label == 0 and img.shape == (28, 28) and img.tobytes() == pixels[784:1568]
    test = MNIST(tmp_path, train=False, transform=RandomHorizontalFlip(p=1.0), target_transform=str)
    img, label = test[1]
    assert label == "2" and img.tolist()[0] == list(pixels[784:812])[::-1]
    assert train.class_to_idx["9 - nine"] == 9
    batches = list(DataLoader(train, batch_size=2))
    assert batches[0][0].shape == (2, 28, 28) and batches[1][1].tolist() == [9]


def test_mnist_bad_input(tmp_path):
    with pytest.raises(SourceError, match="download"):
        MNIST(tmp_path)
    write(str(tmp_path / "t10k-images-idx3-ubyte"), idx_bytes(0x08, (2, 28, 28), bytes(784 * 2)))
    write(str(tmp_path / "t10k-labels-idx1-ubyte"), idx_bytes(0x08, (2,), bytes([3, 12])))
    with pytest.raises(FormatError, match="label 12"):
        MNIST(tmp_path, train=False)
    write(str(tmp_path / "t10k-labels-idx1-ubyte"), idx_bytes(0x08, (3,), bytes(3)))
    with pytest.raises(FormatError, match="expected 2 uint8 labels"):
        MNIST(tmp_path, train=False)
    write(str(tmp_path / "t10k-images-idx3-ubyte"), idx_bytes(0x08, (2, 28, 28), bytes(100)))
    with pytest.raises(FormatError):
        MNIST(tmp_path, train=False)
    write(str(tmp_path / "t10k-images-idx3-ubyte"), idx_bytes(0x0D, (2, 2), bytes(16)))
    with pytest.raises(FormatError, match="uint8 images"):
        MNIST(tmp_path, train=False)
    with pytest.raises(DataTypeError):
        FashionMNIST(tmp_path, train=False, transform=3)


@pytest.mark.native_only(reason="serves the files from a local HTTP server in a thread")
def test_mnist_download_checks_sha256(tmp_path):
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from torsh_data.io import IntegrityError

    served = tmp_path / "served"
    files = {}
    for prefix, n in (("train", 2), ("t10k", 1)):
        for kind, blob in (
            ("images-idx3", idx_bytes(0x08, (n, 28, 28), bytes(784 * n))),
            ("labels-idx1", idx_bytes(0x08, (n,), bytes(n))),
        ):
            name = f"{prefix}-{kind}-ubyte.gz"
            files[name] = gzip.compress(blob)
            write(str(served / name), files[name])
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        bad = {k: hashlib.sha256(b"other").hexdigest() for k in files}
        with pytest.raises(IntegrityError):
            run(MNIST.download(tmp_path / "bad", base_url=url, sha256=bad, timeout=30))
        assert not any(n.endswith(".gz") for n in os.listdir(tmp_path / "bad"))
        good = {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
        run(MNIST.download(tmp_path / "ok", base_url=url, sha256=good, timeout=30))
        assert len(MNIST(tmp_path / "ok")) == 2 and len(MNIST(tmp_path / "ok", train=False)) == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


# --- CIFAR-10 ---------------------------------------------------------------------------------


def cifar_record(label: int, seed: int) -> bytes:
    return bytes([label]) + bytes((seed * 31 + i * 13) % 256 for i in range(3072))


def test_cifar10_records_become_hwc_images(tmp_path):
    recs = [cifar_record(i % 10, i) for i in range(6)]
    for i in range(1, 6):
        write(str(tmp_path / "cifar-10-batches-bin" / f"data_batch_{i}.bin"), recs[i - 1])
    write(str(tmp_path / "test_batch.bin"), recs[5] + recs[0])
    train = CIFAR10(tmp_path)
    assert len(train) == 5 and train.targets == [0, 1, 2, 3, 4]
    img, label = train[3]
    rec = recs[3]
    assert label == 3 and img.shape == (32, 32, 3)
    rows = img.tolist()
    for y, x in ((0, 0), (5, 17), (31, 31)):
        p = y * 32 + x
        assert rows[y][x] == [rec[1 + p], rec[1 + 1024 + p], rec[1 + 2048 + p]]
    test = CIFAR10(tmp_path, train=False)
    assert test.targets == [5, 0] and test.classes[test.targets[0]] == "dog"


def test_cifar10_from_the_tar_gz_and_bad_input(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("test_batch.bin", cifar_record(7, 1)), ("readme.html", b"x")):
            info = tarfile.TarInfo("cifar-10-batches-bin/" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    write(str(tmp_path / "cifar-10-binary.tar.gz"), buf.getvalue())
    ds = CIFAR10(tmp_path, train=False)
    assert ds.targets == [7] and ds[0][0].shape == (32, 32, 3)
    with pytest.raises(SourceError):
        CIFAR10(tmp_path, train=True)
    write(str(tmp_path / "cifar-10-binary.tar.gz"), buf.getvalue()[:200])
    with pytest.raises(FormatError):
        CIFAR10(tmp_path, train=False)
    write(str(tmp_path / "test_batch.bin"), cifar_record(1, 0)[:-1])
    with pytest.raises(FormatError, match="3073-byte records"):
        CIFAR10(tmp_path, train=False)
    write(str(tmp_path / "test_batch.bin"), cifar_record(10, 0))
    with pytest.raises(FormatError, match="label 10"):
        CIFAR10(tmp_path, train=False)


# --- folders ----------------------------------------------------------------------------------


def test_image_folder_classes_samples_and_loader(tmp_path):
    write(str(tmp_path / "dog" / "b.pgm"), pgm(2, 1, [1, 2]))
    write(str(tmp_path / "dog" / "sub" / "a.pgm"), pgm(2, 1, [3, 4]))
    write(str(tmp_path / "cat" / "z.pgm"), pgm(2, 1, [5, 6]))
    write(str(tmp_path / "cat" / "notes.txt"), b"not an image")
    write(str(tmp_path / "ant" / "x.png"), encode_png(Tensor(bytes([9, 8]), shape=(1, 2))))
    ds = ImageFolder(tmp_path, transform=ImageToTensor(), mode="RGB")
    assert ds.classes == ["ant", "cat", "dog"] and ds.targets == [0, 1, 2, 2]
    names = [os.path.relpath(p, tmp_path).replace(os.sep, "/") for p, _ in ds.samples]
    assert names == ["ant/x.png", "cat/z.pgm", "dog/b.pgm", "dog/sub/a.pgm"]
    x, y = ds[3]
    assert (
        y == 2
        and x.shape == (3, 1, 2)
        and x.tolist()[0] == [[f32(3 / 255), f32(4 / 255)]] == x.tolist()[2]
    )
    custom = ImageFolder(
        tmp_path,
        loader=lambda p: os.path.basename(p),
        is_valid_file=lambda p: p.endswith(".txt"),
        allow_empty=True,
    )
    assert [custom[i] for i in range(len(custom))] == [("notes.txt", 1)]


def test_image_folder_bad_input(tmp_path):
    with pytest.raises(SourceError):
        ImageFolder(tmp_path / "missing")
    with pytest.raises(SourceError, match="no class directories"):
        ImageFolder(tmp_path)
    os.makedirs(tmp_path / "empty")
    write(str(tmp_path / "full" / "a.pgm"), b"P2 2 1 255 0")  # truncated pixel data
    with pytest.raises(SourceError, match="'empty' has no image files"):
        ImageFolder(tmp_path)
    ds = ImageFolder(tmp_path, allow_empty=True)
    with pytest.raises(FormatError):
        ds[0]
    with pytest.raises(DataValueError):
        ImageFolder(tmp_path, mode="CMYK")
    write(str(tmp_path / "full" / "b.jpg"), b"\xff\xd8\xff\xe0" + bytes(20))
    ds = ImageFolder(tmp_path, allow_empty=True)
    err = FormatError if has_module("PIL") else MissingExtraError
    with pytest.raises(err):
        ds[1]


@pytest.mark.native_only(reason="creates a symbolic link to a file outside the root")
def test_image_folder_ignores_links_out_of_root(tmp_path):
    write(str(tmp_path / "outside.pgm"), pgm(1, 1, [1]))
    write(str(tmp_path / "root" / "c" / "in.pgm"), pgm(1, 1, [2]))
    os.symlink(tmp_path / "outside.pgm", tmp_path / "root" / "c" / "link.pgm")
    assert [os.path.basename(p) for p, _ in ImageFolder(tmp_path / "root").samples] == ["in.pgm"]


@pytest.mark.skipif(not has_module("PIL"), reason="Pillow writes the JPEG reference files")
def test_image_folder_decodes_jpeg_through_pillow(tmp_path):
    from PIL import Image

    os.makedirs(tmp_path / "n01" / "x")
    Image.new("RGB", (4, 3), (200, 10, 10)).save(tmp_path / "n01" / "x" / "a.JPEG")
    img, _ = ImageFolder(tmp_path)[0]
    assert img.shape == (3, 4, 3)
    assert img.tolist() == [
        [list(px) for px in row] for row in _pillow_rows(tmp_path / "n01" / "x" / "a.JPEG")
    ]


def _pillow_rows(path):
    from PIL import Image

    with Image.open(path) as im:
        w, h = im.size
        raw = im.convert("RGB").tobytes()
    return [[tuple(raw[(y * w + x) * 3 : (y * w + x) * 3 + 3]) for x in range(w)] for y in range(h)]


def make_imagenet(root) -> None:
    for wnid in ("n02", "n01"):
        write(str(root / "train" / wnid / f"{wnid}_1.pgm"), pgm(1, 1, [int(wnid[-1])]))
    write(str(root / "val" / "ILSVRC2012_val_00000001.pgm"), pgm(1, 1, [2]))
    write(str(root / "val" / "ILSVRC2012_val_00000002.pgm"), pgm(1, 1, [1]))
    write(str(root / "LOC_synset_mapping.txt"), b"n01 goldfish, Carassius auratus\nn02 shark\n")


def test_imagenet_layouts(tmp_path):
    make_imagenet(tmp_path)
    write(
        str(tmp_path / "LOC_val_solution.csv"),
        b"ImageId,PredictionString\nILSVRC2012_val_00000001,n02 1 2 3 4\n"
        b"ILSVRC2012_val_00000002,n01 5 6 7 8 n01 1 1 1 1\n",
    )
    train = ImageNet(tmp_path, extensions=["pgm"])
    assert train.wnids == ["n01", "n02"] and train.targets == [0, 1]
    assert train.wnid_to_classes["n01"] == ("goldfish", "Carassius auratus")
    val = ImageNet(tmp_path, split="val", extensions=["pgm"])
    assert val.targets == [1, 0] and [val[i][0].item() for i in range(2)] == [2, 1]
    write(
        str(tmp_path / "labels.txt"),
        b"ILSVRC2012_val_00000001.JPEG n01\nILSVRC2012_val_00000002.JPEG n01\n",
    )
    assert ImageNet(
        tmp_path, "val", val_labels=tmp_path / "labels.txt", extensions=["pgm"]
    ).targets == [0, 0]
    write(str(tmp_path / "labels.txt"), b"ILSVRC2012_val_00000001.JPEG n99\n")
    with pytest.raises(FormatError, match="n99"):
        ImageNet(tmp_path, "val", val_labels=tmp_path / "labels.txt", extensions=["pgm"])
    write(str(tmp_path / "labels.txt"), b"ILSVRC2012_val_00000001.JPEG n01 extra\n")
    with pytest.raises(FormatError, match="record 1"):
        ImageNet(tmp_path, "val", val_labels=tmp_path / "labels.txt", extensions=["pgm"])
    write(str(tmp_path / "labels.txt"), b"\xff\xfe bad")
    with pytest.raises(FormatError, match="UTF-8"):
        ImageNet(tmp_path, "val", val_labels=tmp_path / "labels.txt", extensions=["pgm"])
    with pytest.raises(DataValueError):
        ImageNet(tmp_path, split="test")


def test_video_folder_frames_in_natural_order(tmp_path):
    for i in (1, 2, 10, 3):
        write(str(tmp_path / "wave" / "clip_a" / f"f{i}.pgm"), pgm(2, 1, [i, 0]))
    write(str(tmp_path / "jump" / "c" / "f1.pgm"), pgm(2, 1, [50, 50]))
    ds = VideoFolder(tmp_path, transform=VideoToTensor())
    assert ds.classes == ["jump", "wave"] and len(ds) == 2
    clip, label = ds[1]
    assert label == 1 and clip.shape == (4, 1, 1, 2)
    assert [round(v[0][0][0] * 255) for v in clip.tolist()] == [1, 2, 3, 10]
    two = VideoFolder(tmp_path, frames_per_clip=2)
    assert [f.tolist()[0][0][0] for f in two[1][0]] == [1, 3]
    write(str(tmp_path / "wave" / "clip_a" / "f11.pgm"), pgm(1, 1, [1]))
    with pytest.raises(FormatError, match="different sizes"):
        VideoFolder(tmp_path)[1]
    with pytest.raises(DataValueError):
        VideoFolder(tmp_path, frames_per_clip=0)


# --- PNG encoding and tensor conversion -------------------------------------------------------


def parse_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, colour type, pixel rows without filter bytes) by the PNG spec."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n : pos + 12 + n])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[:4]
    assert depth == 8
    raw = zlib.decompress(idat)
    stride = len(raw) // h
    assert all(raw[y * stride] == 0 for y in range(h))  # filter type None
    return w, h, ctype, b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(h))


@given(uint8_images(max_side=6, channels=(1, 2, 3, 4)))
def test_encode_png_follows_the_spec(img):
    h, w, c = img.shape
    pixels = img.tobytes()
    png = encode_png(img)
    assert parse_png(png) == (w, h, {1: 0, 2: 4, 3: 2, 4: 6}[c], pixels)
    back = ImageToTensor()(png)
    assert back.shape == (c, h, w)
    assert TensorToImage()(back) == png


@pytest.mark.skipif(not has_module("PIL"), reason="Pillow is the reference PNG reader")
def test_pillow_reads_our_png():
    from PIL import Image

    pixels = bytes(range(2 * 3 * 3))
    with Image.open(io.BytesIO(encode_png(Tensor(pixels, shape=(2, 3, 3))))) as im:
        assert im.size == (3, 2) and im.mode == "RGB" and im.tobytes() == pixels


def test_tensor_to_image_rounds_and_rejects_bad_input():
    img = Tensor([[[0.0, 0.5, 1.2, -0.1, 0.999]]])
    assert parse_png(TensorToImage()(img))[3] == bytes([0, 128, 255, 0, 255])
    with pytest.raises(DataValueError, match="NaN"):
        TensorToImage()(Tensor([[[float("nan")]]]))
    with pytest.raises(ShapeError):
        encode_png(Tensor(bytes(5), shape=(1, 1, 5)))
    with pytest.raises(DataTypeError):
        encode_png(Tensor([1, 2], dtype="int32").reshape(1, 2))
    with pytest.raises(DataValueError):
        TensorToImage(compress_level=11)
    with pytest.raises(FormatError):
        ImageToTensor()(b"\x89PNG\r\n\x1a\n" + bytes(10))


def test_video_conversions():
    frames = Tensor(bytes(range(2 * 2 * 2 * 3)), shape=(2, 2, 2, 3))
    clip = VideoToTensor()(frames)
    assert clip.shape == (2, 3, 2, 2)
    pngs = TensorToVideo()(clip)
    assert len(pngs) == 2 and parse_png(pngs[1])[3] == frames[1].tobytes()
    norm = Compose([VideoToTensor()])
    assert norm(frames).equal(clip)
    with pytest.raises(ShapeError):
        VideoToTensor()(Tensor(bytes(4), shape=(4,)))
    assert Normalize(0.5, 0.5)(clip[0]).shape == (3, 2, 2)
