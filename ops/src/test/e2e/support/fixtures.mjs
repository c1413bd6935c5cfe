// Test files made at test time.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { outDir } from './paths.mjs';

/**
 * A small real JPEG (320x240: a skin-coloured gradient with a red patch, like a wound photo), drawn on a
 * canvas in the browser and encoded there; also written to ops/target/e2e/photo.jpg.
 * @returns {Promise<{name: string, mimeType: string, buffer: Buffer}>}
 */
export async function jpegPhoto(browser) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const dataUrl = await page.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext('2d');
      const skin = g.createLinearGradient(0, 0, 320, 240);
      skin.addColorStop(0, '#f6d5b8');
      skin.addColorStop(1, '#c98e64');
      g.fillStyle = skin;
      g.fillRect(0, 0, 320, 240);
      g.fillStyle = '#b03a2e';
      g.beginPath();
      g.ellipse(160, 120, 46, 30, 0.4, 0, Math.PI * 2);
      g.fill();
      g.fillStyle = '#222';
      g.font = '16px sans-serif';
      g.fillText('e2e 2cm', 12, 228);
      return canvas.toDataURL('image/jpeg', 0.85);
    });
    const buffer = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    if (buffer[0] !== 0xff || buffer[1] !== 0xd8) {
      throw new Error('the canvas did not give a JPEG');
    }
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'photo.jpg'), buffer);
    return { name: 'photo.jpg', mimeType: 'image/jpeg', buffer };
  } finally {
    await context.close();
  }
}
