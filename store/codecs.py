"""Chunk codecs of a traversal store: the compressor named by ``--codec``, always followed by a CRC32C checksum.

Every array of a store (coordinates, latents, labels, images, reconstructions, effects, done flags) ends its codec
chain with zarr's :class:`~zarr.codecs.Crc32cCodec`, so a flipped byte, a truncated chunk or garbage in a chunk
file fails to decode with a checksum error instead of reading back as wrong numbers (``latentnav verify`` reads
every chunk and clears the done flags of the damaged ones).

Codecs (measured on 2 vCPUs, one thread, uint8 images of the trained MLP at 28x28 and of a random-weight conv
decoder at 64x64; README, "Benchmarks"):

| name | compressor | MLP digits: ratio, speed | why |
|---|---|---|---|
| ``zstd`` (default) | Zstd level 1 | 1.37x, ~530k images/s | best ratio at a speed that keeps up with one decode core |
| ``lz4`` | Blosc LZ4, no shuffle | 1.09x, ~1.5M images/s | ~3x less writer CPU; byte shuffle is a no-op on uint8 and bit shuffle costs speed |
| ``none`` | nothing (the checksum only) | 1.0x, ~15M images/s | the writer only copies bytes |
"""

import numpy as np
from zarr.codecs import BloscCodec, Crc32cCodec, ZstdCodec

from latentnav.errors import ParameterError
from latentnav.store.layout import CODECS, DEFAULT_CODEC

ZSTD_LEVEL = 1  # level 3 costs ~40 % more compression time for the same ratio on these images
LZ4_LEVEL = 5  # Blosc's default level


def check_codec(codec: str) -> str:
    """``codec`` if it is one of :data:`CODECS`, else a :class:`ParameterError` naming the choices."""
    if codec not in CODECS:
        raise ParameterError("codec", f"is unknown; choose {', '.join(CODECS)}", value=codec)
    return codec


def compressors(codec: str = DEFAULT_CODEC, dtype="uint8") -> tuple:
    """The bytes-to-bytes codec chain of ``codec`` for an array of ``dtype`` (zarr's ``compressors=``).

    The compressor, then CRC32C last, so the checksum covers the bytes as stored. Blosc LZ4 uses no shuffle on
    uint8 images (a byte shuffle of 1-byte items is a no-op; bit shuffle compresses the MLP's images 8 % better
    at 17 % less speed, and the point of ``lz4`` is speed) and a byte shuffle on wider items.
    """
    check_codec(codec)
    if codec == "zstd":
        return (ZstdCodec(level=ZSTD_LEVEL), Crc32cCodec())
    if codec == "lz4":
        itemsize = np.dtype(dtype).itemsize
        shuffle = "noshuffle" if itemsize == 1 else "shuffle"
        return (BloscCodec(cname="lz4", clevel=LZ4_LEVEL, shuffle=shuffle, typesize=itemsize, blocksize=0),
                Crc32cCodec())
    return (Crc32cCodec(),)


def flag_compressors() -> tuple:
    """The codec chain of the one-byte ``done`` flags: the checksum only (compressing a byte only adds bytes)."""
    return (Crc32cCodec(),)
