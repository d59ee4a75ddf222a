/**
 * What a study is, as data, and what it calls back. `StudySettings` is serialisable: it
 * crosses unchanged to a worker thread, a child process (`--workers`) or a Slurm job
 * (`slurm/options.json`); `StudyHooks` stay in the process that runs the study. A
 * `StudyEnvelope` is the settings as handed over, with where models train and the manifest
 * parsed once by whoever started the run.
 */
import type { SlurmResources } from '../../../cluster/batch-script.js';
import type { StopSignal } from '../../../engine/checkpoint.js';
import type { SpikeTransformerConfig } from '../../../models/spike-transformer.js';
import type { Manifest } from '../data/manifest.js';
import type { PresetName } from '../model/experiment.js';
import type { EpochRecord } from '../model/train.js';
import type { UnitAlignment } from '../transfer/alignment.js';
import type { TransferCalibration } from '../transfer/transfer.js';
import type { StudyCell } from './study-cells.js';

export interface StudySettings {
  manifest: string;
  out: string;
  /** Preset for entries of `losses` that name only a loss. */
  preset: PresetName;
  /** Models to train: presets (`default`), losses (`dice`, with `preset`) or `paper:dice`. */
  losses: string[];
  seed: number;
  maxEpochs?: number;
  /** Positions of every model (default: each preset's). */
  positional?: SpikeTransformerConfig['positional'];
  codeVersion: string;
  /** How a target's units fill the model's slots in cross-dataset cells (self cells: as recorded). */
  alignment?: UnitAlignment;
  /** How cross-dataset outputs are recalibrated on the target's validation split (transfer.ts). */
  calibration?: TransferCalibration;
  /** Only train models on these datasets (a worker process's share); no summary is written. */
  sources?: string[];
}

export interface StudyHooks {
  /** Stops before the next model or cell (Ctrl-C; tests simulate a kill with it). */
  signal?: StopSignal;
  onProgress?: (message: string) => void;
  /** Called after each newly computed cell is stored. */
  onCell?: (cell: StudyCell) => void;
  /** Called after each training epoch (before its checkpoint is committed). */
  onEpoch?: (source: string, model: string, record: EpochRecord) => void;
}

/** `--executor slurm`: how jobs are asked for and waited on. */
export interface SlurmExecution {
  /** Given on the command line; the manifest's `cluster` fills what is not. */
  resources: SlurmResources;
  /** Submit and return without waiting. */
  detach: boolean;
  /** How often the queue is asked while waiting. */
  pollSeconds: number;
}

/** A study handed to a worker thread, a child process or a Slurm job. */
export interface StudyEnvelope extends StudySettings {
  /** Where models train: cpu (default), cuda or cuda:N; set by the process that trains. */
  device?: string;
  /** The manifest of `manifest`, parsed once per run (absent: the receiver parses it). */
  parsed?: Manifest;
  /** Local executor: train and score in this many processes. */
  workers?: number;
  /** Slurm executor: one job per model. */
  slurm?: SlurmExecution;
}

/** The settings of an envelope: what every process of the run shares. */
export function settingsOf(envelope: StudyEnvelope): StudySettings {
  const { device: _d, parsed: _p, workers: _w, slurm: _s, ...settings } = envelope;
  return settings;
}
