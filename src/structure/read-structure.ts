import { existsSync, readFileSync } from 'node:fs';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { runDirError } from '../errors.js';
import { runDirLayout } from '../run-dir/run-dir.js';
import { stageCommand } from '../run-dir/stage-commands.js';
import { STRUCTURE_FORMAT, type StructureFile } from './structure-file.js';

/** Reads the structure a run dir's shrink learned and checks that it describes this model's groups. */
export function readShrinkStructure(runDir: string, analysis: ChannelAnalysis, modelName: string): StructureFile {
  const path = runDirLayout(runDir).shrinkStructure;
  const shrinkAgain = `run ${stageCommand('shrink', runDir)} --force (CONFIG is the experiment config) to learn it again`;
  if (!existsSync(path)) throw runDirError(`${path} does not exist`, shrinkAgain);
  let structure: StructureFile;
  try {
    structure = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw runDirError(`${path} is not valid JSON: ${(error as Error).message}`, shrinkAgain);
  }
  if (structure.format !== STRUCTURE_FORMAT) {
    throw runDirError(`${path}: format ${JSON.stringify(structure.format)}, expected "${STRUCTURE_FORMAT}"`, shrinkAgain);
  }
  const mismatch =
    structure.model !== modelName
      ? `it was learned on ${structure.model}, the run's model is ${modelName}`
      : structure.groups.length !== analysis.groups.length || structure.groups.some((g, i) => g.original !== analysis.groups[i].width || g.layers[0] !== analysis.groups[i].members[0].nodeId)
        ? 'its groups do not match the model\'s channel groups'
        : undefined;
  if (mismatch) throw runDirError(`${path} belongs to another model: ${mismatch}`, `use the structure this run's shrink learned, or ${shrinkAgain}`);
  return structure;
}
