/**
 * Names of the mouse → human transfer strategies (transfer-study.ts), kept apart from the
 * code that trains them so the CLI can check `--strategies` without loading libtorch.
 */
export const BILSTM_STRATEGIES = ['human-only', 'pretrain-finetune', 'joint'] as const;
export type TransferStrategy = (typeof BILSTM_STRATEGIES)[number];
export const FOREST_STRATEGIES = ['rf-human-only', 'rf-mouse-to-human', 'rf-joint'] as const;
export type ForestStrategy = (typeof FOREST_STRATEGIES)[number];
export type StudyStrategy = TransferStrategy | ForestStrategy;
export const STRATEGIES: readonly StudyStrategy[] = [...BILSTM_STRATEGIES, ...FOREST_STRATEGIES];
