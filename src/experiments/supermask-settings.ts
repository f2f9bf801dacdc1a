/** A learned supermask's own settings, apart from the training code so `--help` can show their defaults without the engine. */
export interface SupermaskSettings {
  /** Initial score of every weight (Zhou's --sigmoid_bias): σ(0) = 0.5 keeps each weight half the time. */
  scoreInit: number;
  /** Dynamic weight rescaling: each masked layer × size / Σm. */
  rescale: boolean;
  /** Frozen weights sign(θ₀)·std(θ₀ of the layer) instead of θ₀. */
  signedConstant: boolean;
  /** Sampled masks whose test accuracies are averaged (Zhou: 10). */
  samples: number;
}

export const SUPERMASK_DEFAULTS: SupermaskSettings = {
  scoreInit: 0,
  rescale: false,
  signedConstant: false,
  samples: 10,
};
