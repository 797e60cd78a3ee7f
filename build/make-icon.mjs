#!/usr/bin/env node
// Draws the application icon (an ECG complex on a dark tile) as a 512×512 PNG, with no image library.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const N = 512;
const px = new Uint8Array(N * N * 4);
const set = (x, y, [r, g, b, a]) => {
  if (x < 0 || y < 0 || x >= N || y >= N) return;
  const i = (y * N + x) * 4;
  px.set([r, g, b, a], i);
};
for (let y = 0; y < N; y++)
  for (let x = 0; x < N; x++) {
    const r = 96, cx = Math.max(r - x, x - (N - 1 - r), 0), cy = Math.max(r - y, y - (N - 1 - r), 0);
    if (cx * cx + cy * cy <= r * r) set(x, y, [16, 24, 40, 255]);
  }
// PQRST as a sum of Gaussians (ECGSYN-like), drawn thick.
const waves = [[-0.35, 0.12, 0.05], [-0.08, -0.12, 0.02], [0, 1, 0.022], [0.07, -0.25, 0.02], [0.38, 0.3, 0.07]];
const ecg = (t) => waves.reduce((s, [mu, a, w]) => s + a * Math.exp(-((t - mu) ** 2) / (2 * w * w)), 0);
let prev = null;
for (let x = 40; x < N - 40; x++) {
  const t = (x - N / 2) / 300;
  const y = Math.round(N * 0.62 - ecg(t) * 230);
  const from = prev ?? y;
  for (let yy = Math.min(from, y) - 7; yy <= Math.max(from, y) + 7; yy++) for (let dx = -3; dx <= 3; dx++) set(x + dx, yy, [255, 92, 92, 255]);
  prev = y;
}
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr.set([8, 6, 0, 0, 0], 8);
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) Buffer.from(px.buffer, y * N * 4, N * 4).copy(raw, y * (N * 4 + 1) + 1);
const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
writeFileSync(new URL('../resources/icons/icon.png', import.meta.url), png);
console.log(`wrote resources/icons/icon.png (${png.length} bytes)`);
