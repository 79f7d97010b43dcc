"""ZIP archives from users — Shapefile ZIPs, KMZ, and the XLSX and ODS workbooks that are ZIPs
too — checked before a byte of them is unpacked.

A 5.9 MB workbook whose sheet inflates to 1.5 GB once drove a worker to 15 GB: every member's
name, encryption, compression ratio and the total unpacked size are checked against fixed
limits first, and the archive is refused with a message naming the member.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath

from geoapp.imports.problems import FileRefused

MAX_MEMBERS = 1000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100  # uncompressed ÷ compressed, per member …
RATIO_FLOOR_BYTES = 1024 * 1024  # … once a member unpacks to more than 1 MiB

Refuse = Callable[[str, str], FileRefused]  # (zh, en) → the refusal to raise


def check_members(infos: list[zipfile.ZipInfo], refuse: Refuse) -> None:
    """Raise ``refuse(…)`` for an archive that is not safe to unpack."""
    if len(infos) > MAX_MEMBERS:
        raise refuse(
            f"压缩包内有 {len(infos)} 个文件，超过 {MAX_MEMBERS} 个的上限",
            f"the archive holds {len(infos)} files, more than the limit of {MAX_MEMBERS}",
        )
    for info in infos:
        name = member_name(info)
        if _unsafe_name(name):
            raise refuse(
                f"压缩包内的文件名“{name}”指向压缩包之外（路径穿越），拒绝解压",
                f'the archive member "{name}" points outside the archive (path traversal); refused',
            )
        if info.flag_bits & 0x1:
            raise refuse(
                f"压缩包内的“{name}”设置了密码，请上传未加密的压缩包",
                f'"{name}" in the archive is encrypted; upload an unencrypted archive',
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise refuse(
                f"压缩包内的“{name}”压缩比为 {ratio:.0f}:1，疑似 ZIP 炸弹，拒绝解压",
                f'"{name}" in the archive is compressed {ratio:.0f}:1, which looks like a '
                "ZIP bomb; refused",
            )
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise refuse(
            f"压缩包解压后共 {total / 2**20:.0f} MB，超过 {MAX_TOTAL_BYTES // 2**20} MB 的上限",
            f"the archive unpacks to {total / 2**20:.0f} MB, more than the limit of "
            f"{MAX_TOTAL_BYTES // 2**20} MB",
        )


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; names written by Chinese Windows without the UTF-8 flag are GBK."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _unsafe_name(name: str) -> bool:
    normal = name.replace("\\", "/")
    return (
        normal.startswith("/")
        or re.match(r"^[A-Za-z]:", normal) is not None
        or ".." in PurePosixPath(normal).parts
        or "\x00" in normal
    )
