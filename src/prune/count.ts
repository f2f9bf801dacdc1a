/** Counting mask entries. */

/** Number of non-zero entries of a mask (counted four bytes at a time). */
export function countOnes(mask: Uint8Array): number {
  const n = mask.length;
  let c = 0;
  let i = 0;
  while (i < n && ((mask.byteOffset + i) & 3) !== 0) {
    if (mask[i] !== 0) c++;
    i++;
  }
  const words = (n - i) >>> 2;
  if (words === 0) {
    for (; i < n; i++) if (mask[i] !== 0) c++;
    return c;
  }
  const u = new Uint32Array(mask.buffer, mask.byteOffset + i, words);
  for (let j = 0; j < words; j++) {
    const w = u[j];
    // 0x80 in each byte of w that is non-zero, then the number of such bytes
    const nz = ((((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) & 0x80808080) >>> 7;
    c += Math.imul(nz, 0x01010101) >>> 24;
  }
  for (i += words * 4; i < n; i++) if (mask[i] !== 0) c++;
  return c;
}
