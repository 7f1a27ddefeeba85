/**
 * Whether a stream's first bytes are a POSIX (ustar) or GNU tar header: the magic at offset 257.
 * A v7 tar has none and is not recognised; every tool that writes images writes ustar or GNU.
 */
export function hasTarMagic(head: Uint8Array): boolean {
  return head.length >= 262 && head[257] === 0x75 && head[258] === 0x73 && head[259] === 0x74 && head[260] === 0x61 && head[261] === 0x72;
}
