import type { SweepArm } from '../config/sweep-schema.js';

/** The model of a run dir an arm's accuracy is read from: retrain/ (the expanded structure) or baseline/ (the uniform one). */
export type ArmStage = 'retrain' | 'baseline';

/**
 * One arm of a sweep: a way to get a network for a budget, trained with the retrain recipe.
 * Every arm is made by the ordinary stages in an ordinary run dir (the chosen shrink, expand to
 * the budget, retrain); an arm says which of the run dir's models is its own and at what budget.
 * A new arm adds its name to SWEEP_ARMS (config/sweep-schema.ts) and an entry here.
 */
export interface ArmDefinition {
  name: SweepArm;
  /** What the arm is, for the legend of tables and charts. */
  description: string;
  /** The run dir's model that is this arm's. */
  stage: ArmStage;
  /**
   * `budget`: one model per budget (and seed); `seed-cost`: one per seed, at the seed's own cost
   * (the uniform multiplier there is 1: the seed network itself).
   */
  budget: 'budget' | 'seed-cost';
  /** Per budget, whether every shrink of `pick: all` gets one, or only the closest. */
  everyShrink: boolean;
  /** Drawing colour in sweep.html. */
  color: string;
}

export const ARMS: Record<SweepArm, ArmDefinition> = {
  morphnet: { name: 'morphnet', description: 'the learned structure expanded to the budget', stage: 'retrain', budget: 'budget', everyShrink: true, color: '#2b6cb0' },
  uniform: { name: 'uniform', description: 'the seed scaled by one width multiplier to the budget', stage: 'baseline', budget: 'budget', everyShrink: false, color: '#7b3fa0' },
  seed: { name: 'seed', description: 'the unpruned seed network', stage: 'baseline', budget: 'seed-cost', everyShrink: false, color: '#4a5568' },
};
