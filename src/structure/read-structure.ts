import { existsSync, readFileSync } from 'node:fs';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { runDirError } from '../errors.js';
import { runDirLayout } from '../run-dir/run-dir.js';
import { stageCommand } from '../run-dir/stage-commands.js';
import { STRUCTURE_FORMAT, type StructureFile } from './structure-file.js';

/**
 * Reads a structure file and checks its form (exists, JSON, format, groups with widths and
 * kept lists); `redo` is the fix the errors give. Needs no model: the report reads this way.
 */
export function readStructureFile<T extends StructureFile = StructureFile>(path: string, redo: string): T {
  if (!existsSync(path)) throw runDirError(`${path} does not exist`, redo);
  let structure: T;
  try {
    structure = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw runDirError(`${path} is not valid JSON: ${(error as Error).message}`, redo);
  }
  if (structure?.format !== STRUCTURE_FORMAT) {
    throw runDirError(`${path}: format ${JSON.stringify(structure?.format)}, expected "${STRUCTURE_FORMAT}"`, redo);
  }
  const badGroup = Array.isArray(structure.groups) ? structure.groups.findIndex((g) => !Number.isInteger(g?.width) || g.width < 0 || !Array.isArray(g.kept)) : 0;
  if (badGroup >= 0) throw runDirError(`${path}: groups[${badGroup}] needs an integer width >= 0 and a kept list`, redo);
  return structure;
}

/** Checks that a structure file describes this model's channel groups; `redo` is the fix. */
export function checkStructureModel(path: string, structure: StructureFile, analysis: ChannelAnalysis, modelName: string, redo: string): void {
  const mismatch =
    structure.model !== modelName
      ? `it was learned on ${structure.model}, the run's model is ${modelName}`
      : structure.groups.length !== analysis.groups.length || structure.groups.some((g, i) => g.original !== analysis.groups[i].width || g.layers[0] !== analysis.groups[i].members[0].nodeId)
        ? 'its groups do not match the model\'s channel groups'
        : undefined;
  if (mismatch) throw runDirError(`${path} belongs to another model: ${mismatch}`, `use the structure this run's shrink learned, or ${redo}`);
}

/** The fix for a bad shrink/structure.json. */
export const shrinkAgain = (runDir: string) => `run ${stageCommand('shrink', runDir)} --force (CONFIG is the experiment config) to learn it again`;
/** The fix for a bad expand/structure.json. */
export const expandAgain = (runDir: string) => `run ${stageCommand('expand', runDir)} --force (N is the FLOP budget) to expand again`;

/** Reads the structure a run dir's shrink learned and checks that it describes this model's groups. */
export function readShrinkStructure(runDir: string, analysis: ChannelAnalysis, modelName: string): StructureFile {
  const path = runDirLayout(runDir).shrinkStructure;
  const structure = readStructureFile(path, shrinkAgain(runDir));
  checkStructureModel(path, structure, analysis, modelName, shrinkAgain(runDir));
  return structure;
}
