/**
 * Geometry shared by the backward convolutions: which window of an axis a forward convolution
 * reads, expressed as a crop of the stored data followed by zero padding.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A window [start, start + length) over an axis of `size` stored entries (outside = zeros). */
export interface AxisWindow {
  cropStart: number;
  cropEnd: number;
  padBefore: number;
  padAfter: number;
}

export function axisWindow(size: number, start: number, length: number): AxisWindow {
  const cropStart = Math.min(size, Math.max(0, start));
  const cropEnd = Math.max(cropStart, Math.min(size, start + length));
  return { cropStart, cropEnd, padBefore: cropStart - start, padAfter: start + length - cropEnd };
}

/**
 * Crops NHWC `t` spatially to the windows; returns the cropped tensor and the zero padding
 * still owed, for the convolution to apply implicitly (explicit padding costs no copy).
 */
export function cropToWindows(
  t: tf.Tensor4D,
  rows: AxisWindow,
  cols: AxisWindow,
): { cropped: tf.Tensor4D; padding: [[number, number], [number, number], [number, number], [number, number]] } {
  const [n, h, w, c] = t.shape;
  const needsCrop = rows.cropStart > 0 || rows.cropEnd < h || cols.cropStart > 0 || cols.cropEnd < w;
  const cropped = needsCrop ? tf.slice(t, [0, rows.cropStart, cols.cropStart, 0], [n, rows.cropEnd - rows.cropStart, cols.cropEnd - cols.cropStart, c]) : t;
  return {
    cropped,
    padding: [
      [0, 0],
      [rows.padBefore, rows.padAfter],
      [cols.padBefore, cols.padAfter],
      [0, 0],
    ],
  };
}

/** True when a crop left nothing (the convolution then reads only zero padding). */
export function isEmptyCrop(rows: AxisWindow, cols: AxisWindow): boolean {
  return rows.cropEnd === rows.cropStart || cols.cropEnd === cols.cropStart;
}

/**
 * Inserts stride−1 zeros after every row and column of NHWC `dy` (the transposed convolution's
 * input dilation). The result has oh·sh rows: the trailing zeros are harmless padding.
 */
export function zeroDilate(dy: tf.Tensor4D, strideHeight: number, strideWidth: number): tf.Tensor4D {
  if (strideHeight === 1 && strideWidth === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, c]), [
    [0, 0],
    [0, 0],
    [0, strideHeight - 1],
    [0, 0],
    [0, strideWidth - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [n, oh * strideHeight, ow * strideWidth, c]);
}

/** The rows/cols window of the padded input that the forward convolution reads (for dW). */
export function inputWindows(info: tf.backend_util.Conv2DInfo): { rows: AxisWindow; cols: AxisWindow } {
  const neededRows = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight;
  const neededCols = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth;
  return {
    rows: axisWindow(info.inHeight, -info.padInfo.top, neededRows),
    cols: axisWindow(info.inWidth, -info.padInfo.left, neededCols),
  };
}

/**
 * The window of the zero-dilated dy that a stride-1 correlation with the flipped filter reads
 * to produce dx (a "full" correlation shifted by the forward padding).
 */
export function gradientWindows(info: tf.backend_util.Conv2DInfo): { rows: AxisWindow; cols: AxisWindow } {
  const rows = axisWindow(
    info.outHeight * info.strideHeight,
    info.padInfo.top - (info.effectiveFilterHeight - 1),
    info.inHeight + info.effectiveFilterHeight - 1,
  );
  const cols = axisWindow(info.outWidth * info.strideWidth, info.padInfo.left - (info.effectiveFilterWidth - 1), info.inWidth + info.effectiveFilterWidth - 1);
  return { rows, cols };
}
