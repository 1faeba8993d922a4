#!/usr/bin/env python3
"""Writes a deterministic tree of mixed files for the scanner benchmark.

Usage: gen_tree.py OUT_DIR FILES SEED

Kinds (by share of files): 40 % text (logs, scripts, HTML), 30 % random binary, 20 % PE-like executables (MZ/PE
headers, sections of random bytes with a few API and URL strings), 10 % zip archives of text and binary members.
Sizes follow a log-normal law (median about 50 KB, mean about 150 KB, at most 8 MB). The same arguments give the
same bytes.
"""
import io
import os
import random
import struct
import sys
import zipfile

WORDS = (
    "user admin login failed success connection from to port service started stopped error warning info debug "
    "request response GET POST /index.html /api/v1/patients /login.php HTTP/1.1 200 404 500 kernel sshd systemd "
    "cron powershell -enc IEX New-Object Net.WebClient DownloadString cmd.exe /c whoami net user schtasks "
    "benhvien soyte hospital patient record lab result invoice backup database query select insert update"
).split()
APIS = [b"kernel32.dll", b"LoadLibraryA", b"GetProcAddress", b"VirtualAlloc", b"CreateRemoteThread",
        b"WriteProcessMemory", b"ws2_32.dll", b"InternetOpenUrlA", b"http://update.example.com/a.bin",
        b"RegSetValueExA", b"Software\\Microsoft\\Windows\\CurrentVersion\\Run", b"cmd.exe /c "]


def text_pool(rng, size):
    lines = []
    total = 0
    while total < size:
        n = rng.randint(4, 18)
        line = f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z " + " ".join(
            rng.choice(WORDS) for _ in range(n)) + f" 10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


def text_file(rng, pool, size):
    start = rng.randrange(0, max(1, len(pool) - size))
    return pool[start:start + size]


def pe_file(rng, size):
    size = max(size, 1024)
    head = bytearray(0x400)
    head[0:2] = b"MZ"
    struct.pack_into("<I", head, 0x3C, 0x80)
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    head[0x4E:0x4E + len(stub)] = stub
    nsec = 3
    # PE signature, COFF header (i386, 3 sections, optional header of 0xE0 bytes, executable), optional header magic.
    struct.pack_into("<4sHHIIIHH", head, 0x80, b"PE\0\0", 0x14C, nsec, 0x65000000 + rng.randrange(1 << 24), 0, 0,
                     0xE0, 0x0102)
    opt = 0x98
    struct.pack_into("<HBBIII", head, opt, 0x10B, 14, 0, size - 0x400, 0, 0)
    struct.pack_into("<I", head, opt + 16, 0x1000)  # entry point
    struct.pack_into("<I", head, opt + 28, 0x400000)  # image base
    struct.pack_into("<II", head, opt + 32, 0x1000, 0x200)  # section and file alignment
    struct.pack_into("<I", head, opt + 56, 0x1000 * (nsec + 1))  # size of image
    struct.pack_into("<I", head, opt + 60, 0x400)  # size of headers
    struct.pack_into("<H", head, opt + 68, 2)  # subsystem: GUI
    struct.pack_into("<I", head, opt + 92, 16)  # number of data directories
    body_len = size - 0x400
    sec_len = body_len // nsec
    for i, name in enumerate([b".text", b".rdata", b".data"]):
        struct.pack_into("<8sIIIII", head, opt + 0xE0 + 40 * i, name, sec_len, 0x1000 * (i + 1), sec_len,
                         0x400 + sec_len * i, 0)
    body = bytearray(rng.randbytes(body_len))
    for _ in range(rng.randint(3, 12)):
        s = rng.choice(APIS)
        at = rng.randrange(0, max(1, body_len - len(s)))
        body[at:at + len(s)] = s[: body_len - at]
    return bytes(head) + bytes(body)


def zip_file(rng, pool, size):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(rng.randint(2, 6)):
            part = max(256, size // 4)
            if rng.random() < 0.5:
                data, name = text_file(rng, pool, part), f"doc{i}.txt"
            else:
                data, name = rng.randbytes(part), f"data{i}.bin"
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def main():
    out, files, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    pool = text_pool(rng, 12 << 20)
    total = 0
    for i in range(files):
        size = int(min(8 << 20, max(64, rng.lognormvariate(10.8, 1.5))))
        kind = rng.random()
        folder = os.path.join(out, f"d{i % 20:02d}", f"s{(i // 20) % 5}")
        os.makedirs(folder, exist_ok=True)
        if kind < 0.4:
            name, data = f"f{i:05d}.log", text_file(rng, pool, size)
        elif kind < 0.7:
            name, data = f"f{i:05d}.bin", rng.randbytes(size)
        elif kind < 0.9:
            name, data = f"f{i:05d}.exe", pe_file(rng, size)
        else:
            name, data = f"f{i:05d}.zip", zip_file(rng, pool, size)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"{files} files, {total} bytes ({total / 1e6:.1f} MB) in {out}")


if __name__ == "__main__":
    main()
