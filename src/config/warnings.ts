/**
 * Settings that are valid but probably not what was meant: each gives one line saying what will
 * happen and how to change it. The caller prints them (rvos train logs them when a run starts).
 */
import type { RvosConfig } from './schema.js';

export function configWarnings(config: RvosConfig): string[] {
  const warnings: string[] = [];
  const { max_objects: maxObjects } = config.data;
  const { slots } = config.model;
  if (maxObjects > slots) {
    warnings.push(
      `data.max_objects=${maxObjects} is above model.slots=${slots}: objects with ids above ${slots} are dropped in training and never predicted; ` +
        `raise model.slots to ${maxObjects} (or lower data.max_objects) to keep them`,
    );
  }
  return warnings;
}
