"""Batched, in-graph data augmentation for 48x48 grayscale faces.

All operations act on a whole ``(batch, h, w, 1)`` float tensor in ``[0, 1]``
with per-image random parameters, so augmentation costs little next to the
network on a CPU.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AugmentConfig(BaseModel):
    """Augmentation settings (set ``enabled=False`` to turn all off)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    flip: bool = Field(True, description="random horizontal flips")
    rotation: float = Field(12.0, ge=0, le=45, description="max rotation, degrees")
    zoom: float = Field(0.12, ge=0, lt=0.5, description="max relative zoom in or out")
    shift: float = Field(0.1, ge=0, lt=0.5, description="max shift, fraction of the side")
    geometric_prob: float = Field(
        1.0,
        ge=0,
        le=1,
        description="share of the images that are rotated, zoomed and shifted (a resampling that blurs them "
        "slightly); the others keep their pixels",
    )
    brightness: float = Field(0.15, ge=0, le=1, description="max brightness change (images in [0, 1])")
    contrast: float = Field(0.25, ge=0, lt=1, description="max relative contrast change")
    erase_prob: float = Field(0.4, ge=0, le=1, description="probability of random erasing")
    erase_max: float = Field(0.3, gt=0, le=1, description="max side of an erased box, fraction of the side")


def augment_batch(images: Any, cfg: AugmentConfig, seed: Any = None) -> Any:
    """Augment a batch ``(n, h, w, 1)`` of float32 images in ``[0, 1]``.

    Args:
        images: the batch.
        cfg: what to apply.
        seed: unused; randomness comes from TensorFlow's global generator, which
            :func:`keras.utils.set_random_seed` makes deterministic.
    """
    import tensorflow as tf

    if not cfg.enabled:
        return images
    shape = tf.shape(images)
    n = shape[0]
    hf, wf = tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)

    def uniform(lo: float, hi: float) -> Any:
        return tf.random.uniform([n], lo, hi)

    # drawn in this order so that a seed gives the same augmentation as in earlier versions
    theta = uniform(-cfg.rotation, cfg.rotation) * (math.pi / 180.0)
    scale = uniform(1.0 - cfg.zoom, 1.0 + cfg.zoom)
    tx = uniform(-cfg.shift, cfg.shift) * wf
    ty = uniform(-cfg.shift, cfg.shift) * hf
    flip = tf.where(uniform(0.0, 1.0) < 0.5, -1.0, 1.0) if cfg.flip else tf.ones([n])
    if cfg.geometric_prob < 1.0:  # drawn only then, so that the default draws stay as they were
        warped = uniform(0.0, 1.0) < cfg.geometric_prob
        theta, tx, ty = (tf.where(warped, v, 0.0) for v in (theta, tx, ty))
        scale = tf.where(warped, scale, 1.0)
    out = _affine(images, theta=theta, scale=scale, tx=tx, ty=ty, flip=flip)

    mean = tf.reduce_mean(out, axis=[1, 2, 3], keepdims=True)
    contrast = tf.reshape(uniform(1.0 - cfg.contrast, 1.0 + cfg.contrast), [n, 1, 1, 1])
    bright = tf.reshape(uniform(-cfg.brightness, cfg.brightness), [n, 1, 1, 1])
    out = (out - mean) * contrast + mean + bright

    if cfg.erase_prob > 0:
        side_h = uniform(0.1, cfg.erase_max) * hf
        side_w = uniform(0.1, cfg.erase_max) * wf
        y0 = uniform(0.0, 1.0) * (hf - side_h)
        x0 = uniform(0.0, 1.0) * (wf - side_w)
        ys = tf.reshape(tf.range(hf), [1, -1, 1])
        xs = tf.reshape(tf.range(wf), [1, 1, -1])

        def col(v: Any) -> Any:
            return tf.reshape(v, [n, 1, 1])

        inside = (ys >= col(y0)) & (ys < col(y0 + side_h)) & (xs >= col(x0)) & (xs < col(x0 + side_w))
        active = col(uniform(0.0, 1.0) < cfg.erase_prob)
        fill = tf.reshape(uniform(0.0, 1.0), [n, 1, 1, 1])
        mask = tf.cast(inside & active, tf.float32)[..., None]
        out = out * (1.0 - mask) + fill * mask
    return tf.clip_by_value(out, 0.0, 1.0)


def warp(images: Any, *, rotation: float = 0.0, zoom: float = 1.0, shift: tuple[float, float] = (0.0, 0.0)) -> Any:
    """The same warp of every image of a batch ``(n, h, w, 1)``, as the augmentation warps them.

    Bilinear interpolation, borders filled by reflection: what training applies with
    random parameters, here with fixed ones (to measure how a model takes warped faces,
    see ``benchmarks/experiments/warped_faces.py``).

    Args:
        images: float images in ``[0, 1]``.
        rotation: degrees, counter-clockwise as displayed.
        zoom: magnification (above 1: zoomed in).
        shift: ``(x, y)`` in pixels, fractions allowed: how far the content moves right and down.

    Examples:
        >>> import numpy as np
        >>> faces = np.random.default_rng(0).uniform(size=(2, 48, 48, 1)).astype("float32")
        >>> np.allclose(warp(faces).numpy(), faces)  # no warp: the images as they are
        True
        >>> warp(faces, rotation=6.0, zoom=1.1, shift=(0.5, 0.0)).shape
        TensorShape([2, 48, 48, 1])
    """
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.float32)
    n = tf.shape(images)[0]

    def const(v: float) -> Any:
        return tf.fill([n], tf.constant(v, tf.float32))

    return _affine(
        images,
        theta=const(rotation * math.pi / 180.0),
        scale=const(zoom),
        tx=const(-shift[0]),  # the transform maps each output pixel to the input pixel it samples
        ty=const(-shift[1]),
        flip=const(1.0),
    )


def _affine(images: Any, *, theta: Any, scale: Any, tx: Any, ty: Any, flip: Any) -> Any:
    """Warp each image: rotation ``theta`` (radians), zoom ``scale``, mirrored where ``flip`` is -1.

    ``(tx, ty)`` is the offset, in pixels, of the input pixel each output pixel samples:
    the content moves by ``(-tx, -ty)``. Every argument but ``images`` is a vector with
    one value per image.
    """
    import tensorflow as tf

    shape = tf.shape(images)
    h, w = shape[1], shape[2]
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    cos, sin = tf.cos(theta) / scale, tf.sin(theta) / scale
    # output pixel p maps to input pixel M p + b with M = R(theta) F / scale
    m00, m01, m10, m11 = flip * cos, -sin, flip * sin, cos
    cx, cy = (wf - 1.0) / 2.0, (hf - 1.0) / 2.0
    b0 = cx - (m00 * cx + m01 * cy) + tx
    b1 = cy - (m10 * cx + m11 * cy) + ty
    zeros = tf.zeros_like(theta)
    transforms = tf.stack([m00, m01, b0, m10, m11, b1, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.stack([h, w]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",
    )
