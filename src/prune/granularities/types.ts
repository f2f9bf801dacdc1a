/**
 * What a pruning granularity is: which weights are kept or pruned together. fasterai's
 * (core/granularity.py, v0.2.4) scores a view [1, out, in, kh, kw] of the weight and averages it over
 * listed axes; here the axes are those of the weight itself (linear [out, in], conv [out, in, kh, kw]),
 * i.e. fasterai's axis numbers minus one.
 */

/** The weight layouts a granularity can know: linear [out, in] (fc, output) and conv [out, in, kh, kw]. */
export type WeightForm = 'linear' | 'conv';

export interface Granularity {
  /** The name configs use (`granularity`). */
  readonly name: string;
  /** One line for help texts and docs. */
  readonly description: string;
  /**
   * Per weight form, the axes one group spans: its weights' scores are averaged over them and it is
   * kept or pruned as a whole ([] = every weight alone). A form left out is one it does not apply to.
   */
  readonly axes: Partial<Record<WeightForm, readonly number[]>>;
  /**
   * N:M instead of groups: in every M consecutive weights along the input axis (axis 1) keep the N of
   * highest score. Applies to both forms; `axes` is then empty.
   */
  readonly nm?: { readonly n: number; readonly m: number };
}
