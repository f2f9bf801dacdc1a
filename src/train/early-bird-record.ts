/**
 * The Early-Bird record of a unit (`--early-bird`): the channel mask of every watched prune ratio
 * (0.3, 0.5, 0.7) at the start of every epoch, kept whole so the report can draw the epochs × epochs
 * distance matrix and the curve the detector (early-bird.ts) decides on, and the epoch it fired at.
 * Masks are stored as packed bits in base64 (one bit per BatchNorm channel), so a VGG-19 at 160 epochs
 * adds ~0.5 MB per ratio to the unit's record.
 */
import { z } from 'zod';
import { EARLY_BIRD_RATIOS, type EarlyBirdDetector, bnChannelMask, earlyBirdDetector } from './early-bird.js';
import type { TrainCallback } from './types.js';

export const earlyBirdRecordSchema = z.object({
  /** Steps per epoch: mask e was drawn at iteration e·epochIterations, before that epoch's training. */
  epochIterations: z.number().int().positive(),
  window: z.number().int().positive(),
  epsilon: z.number(),
  /** BatchNorm channels of the network (the length of every mask). */
  channels: z.number().int().nonnegative(),
  epochs: z.array(z.number().int().nonnegative()),
  ratios: z.array(
    z.object({
      ratio: z.number(),
      /** One base64 bit-packed mask per epoch of `epochs`. */
      masks: z.array(z.string()),
      /** The epoch the detector found the early-bird ticket at, or null. */
      firedAt: z.number().int().nullable(),
    }),
  ),
});
export type EarlyBirdRecord = z.infer<typeof earlyBirdRecordSchema>;

/** A 0/1 mask as base64 of its bits, most significant bit first. */
export function packMask(mask: Uint8Array): string {
  const bytes = new Uint8Array(Math.ceil(mask.length / 8));
  mask.forEach((m, i) => {
    if (m) bytes[i >> 3] |= 0x80 >> (i & 7);
  });
  return Buffer.from(bytes).toString('base64');
}

export function unpackMask(packed: string, length: number): Uint8Array {
  const bytes = Buffer.from(packed, 'base64');
  return Uint8Array.from({ length }, (_, i) => (bytes[i >> 3] >> (7 - (i & 7))) & 1);
}

export interface EarlyBirdRecorder extends TrainCallback {
  readonly detector: EarlyBirdDetector;
  /** Everything recorded so far. */
  record(): EarlyBirdRecord;
}

/**
 * The Early-Bird detector (which records `early-bird:<p>:max-distance` and may stop training at
 * `stopAt`) together with every mask it drew. Its state, the detector's included, is saved in the
 * unit's checkpoints, so a resumed unit records exactly what an uninterrupted one does.
 */
export function earlyBirdRecorder(options: {
  epochIterations: number;
  ratios?: readonly number[];
  stopAt?: number;
  maskOf?: (gammas: Float32Array[], ratio: number, epoch: number) => Uint8Array;
  gammas?: Parameters<typeof earlyBirdDetector>[0]['gammas'];
}): EarlyBirdRecorder {
  const ratios = options.ratios ?? EARLY_BIRD_RATIOS;
  const window = 5;
  const epsilon = 0.1;
  let channels = 0;
  let epochs: number[] = [];
  let masks = new Map<number, string[]>(ratios.map((p) => [p, []]));
  const detector = earlyBirdDetector({
    ...options,
    ratios,
    window,
    epsilon,
    // every mask the detector draws passes through here on its way into its window
    maskOf: (gammas, p, epoch) => {
      const mask = options.maskOf ? options.maskOf(gammas, p, epoch) : bnChannelMask(gammas, p);
      channels = mask.length;
      if (p === ratios[0]) epochs.push(epoch);
      masks.get(p)!.push(packMask(mask));
      return mask;
    },
  });
  return {
    name: 'early-bird-record',
    detector,
    onIteration: (iteration, context) => detector.onIteration(iteration, context),
    save(checkpoint) {
      detector.save!(checkpoint);
      checkpoint.callbacks!['early-bird-record'] = {
        json: { channels, epochs: [...epochs], masks: [...masks].map(([p, m]) => ({ p, m: [...m] })) },
      };
    },
    restore(checkpoint) {
      detector.restore!(checkpoint);
      const state = checkpoint.callbacks?.['early-bird-record']?.json as
        { channels: number; epochs: number[]; masks: { p: number; m: string[] }[] } | undefined;
      channels = state?.channels ?? 0;
      epochs = [...(state?.epochs ?? [])];
      masks = new Map(ratios.map((p) => [p, [...(state?.masks.find((x) => x.p === p)?.m ?? [])]]));
    },
    record: () => ({
      epochIterations: options.epochIterations,
      window,
      epsilon,
      channels,
      epochs: [...epochs],
      ratios: ratios.map((ratio) => ({
        ratio,
        masks: [...masks.get(ratio)!],
        firedAt: detector.found.get(ratio)?.epoch ?? null,
      })),
    }),
  };
}
