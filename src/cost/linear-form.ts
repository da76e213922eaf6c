/**
 * A linear form over channel scores: sum of weight * score[c] over the listed components.
 * The regularizer is one such form; the cost is the same formula evaluated on numbers.
 */
export type LinearForm = Array<{ components: Int32Array; weight: number }>;

export const scaleForm = (form: LinearForm, k: number): LinearForm => form.map((p) => ({ components: p.components, weight: p.weight * k }));
